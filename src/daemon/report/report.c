/*
 * Replay report (see report.h).
 */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

void
mtrd_report_init(struct mtrd_report *r, const struct mtr_reg_set *start)
{
    memset(r, 0, sizeof(*r));
    r->reg_start = *start;
    r->reg_end = *start;
}

void
mtrd_report_add(struct mtrd_report *r,
                const struct mtr_metro_frame *f,
                const struct mtr_reg_set *regs)
{
    double d = f->duration_s;
    r->frames++;
    r->samples += f->sample_count;
    r->dur_s += d;
    r->phase_count = f->phase_count;
    if ((f->flags & MTR_METRO_FLAG_F_INVALID) == 0) {
        r->f_s += (double)f->f_Hz * d;
        r->f_dur_s += d;
        if (r->f_min_Hz == 0.0f || f->f_Hz < r->f_min_Hz) {
            r->f_min_Hz = f->f_Hz;
        }
        if (f->f_Hz > r->f_max_Hz) {
            r->f_max_Hz = f->f_Hz;
        }
    } else {
        r->unsynced++;
    }
    if (f->flags & MTR_METRO_FLAG_GAP) {
        r->gaps++;
    }
    if (f->f10_Hz > 0.0f) {
        r->f10_Hz = f->f10_Hz;
    }
    r->missing_seen |= f->missing_mask;
    r->seq_order = f->seq_order;
    memcpy(r->u_ll_last_V, f->u_ll_V, sizeof(r->u_ll_last_V));
    /* harmonics are meaningful over whole synchronised 10/12-cycle windows only */
    bool is_sync = (f->flags & (MTR_METRO_FLAG_F_INVALID | MTR_METRO_FLAG_PARTIAL)) == 0;
    if (is_sync) {
        r->sync_s += d;
    }
    for (unsigned p = 0; p < f->phase_count; p++) {
        const struct mtr_metro_phase *ph = &f->ph[p];
        struct mtrd_report_phase *a = &r->ph[p];
        a->u2_s += (double)ph->u_rms_V * (double)ph->u_rms_V * d;
        a->i2_s += (double)ph->i_rms_A * (double)ph->i_rms_A * d;
        a->p_s += (double)ph->p_W * d;
        a->q1_s += (double)ph->q1_var * d;
        a->qb_s += (double)ph->qb_var * d;
        if (is_sync) {
            a->thd_u_s += (double)ph->u_thd_pct * d;
            a->thd_i_s += (double)ph->i_thd_pct * d;
        }
    }
    r->reg_end = *regs;
}

struct phase_avg {
    double u_V, i_A, p_W, q1_var, qb_var, s_VA, pf, thd_u_pct, thd_i_pct;
};

static struct phase_avg
average(const struct mtrd_report *r, unsigned p)
{
    struct phase_avg a = {0};
    double d = r->dur_s > 0.0 ? r->dur_s : 1.0;
    const struct mtrd_report_phase *x = &r->ph[p];
    a.u_V = sqrt(x->u2_s / d);
    a.i_A = sqrt(x->i2_s / d);
    a.p_W = x->p_s / d;
    a.q1_var = x->q1_s / d;
    a.qb_var = x->qb_s / d;
    a.s_VA = a.u_V * a.i_A;
    a.pf = a.s_VA > 0.0 ? a.p_W / a.s_VA : 0.0;
    a.thd_u_pct = r->sync_s > 0.0 ? x->thd_u_s / r->sync_s : 0.0;
    a.thd_i_pct = r->sync_s > 0.0 ? x->thd_i_s / r->sync_s : 0.0;
    return a;
}

static double
f_mean(const struct mtrd_report *r)
{
    return r->f_dur_s > 0.0 ? r->f_s / r->f_dur_s : 0.0;
}

static const char *
seq_name(enum mtr_metro_seq s)
{
    return s == MTR_METRO_SEQ_123 ? "123" : s == MTR_METRO_SEQ_132 ? "132" : "-";
}

static const char *const g_kind_names[MTR_REG_KIND_COUNT] = {"+A",   "-A",  "+R", "-R", "QI", "QII",
                                                             "QIII", "QIV", "S+", "S-", "|A|"};
static const char *const g_kind_keys[MTR_REG_KIND_COUNT] = {
    "a_imp", "a_exp", "r_imp", "r_exp", "r_q1", "r_q2", "r_q3", "r_q4", "s_imp", "s_exp", "a_abs"};
static const char *const g_chan_names[MTR_REG_CHAN_COUNT] = {"L1", "L2", "L3", "total"};

void
mtrd_report_print_text(const struct mtrd_report *r, const char *source_desc, FILE *out)
{
    fprintf(out, "meterd replay report\n");
    fprintf(out, "input      %s\n", source_desc);
    fprintf(out, "measured   %.6f s, %llu samples, %llu frames (%u unsynchronised, %u with gaps)\n",
            r->dur_s, (unsigned long long)r->samples, (unsigned long long)r->frames, r->unsynced,
            r->gaps);
    fprintf(out, "frequency  mean %.4f Hz, min %.4f, max %.4f, 10-s %.4f Hz; sequence %s\n",
            f_mean(r), (double)r->f_min_Hz, (double)r->f_max_Hz, (double)r->f10_Hz,
            seq_name(r->seq_order));
    fprintf(out, "\n%-6s %12s %11s %13s %13s %13s %8s %8s %8s\n", "phase", "Urms V", "Irms A",
            "P W", "Q1 var", "S VA", "PF", "THDu %", "THDi %");
    double pt = 0.0;
    double qt = 0.0;
    double st = 0.0;
    for (unsigned p = 0; p < r->phase_count; p++) {
        struct phase_avg a = average(r, p);
        fprintf(out, "L%-5u %12.4f %11.5f %13.4f %13.4f %13.4f %8.5f %8.3f %8.3f\n", p + 1, a.u_V,
                a.i_A, a.p_W, a.q1_var, a.s_VA, a.pf, a.thd_u_pct, a.thd_i_pct);
        pt += a.p_W;
        qt += a.q1_var;
        st += a.s_VA;
    }
    fprintf(out, "%-6s %12s %11s %13.4f %13.4f %13.4f %8.5f\n", "total", "", "", pt, qt, st,
            st > 0.0 ? pt / st : 0.0);
    if (r->phase_count == 3) {
        fprintf(out, "U12 %.4f V  U23 %.4f V  U31 %.4f V (last frame)\n", (double)r->u_ll_last_V[0],
                (double)r->u_ll_last_V[1], (double)r->u_ll_last_V[2]);
    }
    fprintf(out, "\nregisters, Wh / varh / VAh: value after the run (added by this run)\n");
    fprintf(out, "%-5s", "");
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        fprintf(out, " %27s", g_chan_names[c]);
    }
    fputc('\n', out);
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        fprintf(out, "%-5s", g_kind_names[k]);
        for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
            double v = (double)r->reg_end.e_u[c][k] / 1e6;
            double dv = (double)(r->reg_end.e_u[c][k] - r->reg_start.e_u[c][k]) / 1e6;
            fprintf(out, " %13.4f (%11.4f)", v, dv);
        }
        fputc('\n', out);
    }
}

static cJSON *
registers_json(const struct mtr_reg_set *set)
{
    cJSON *o = cJSON_CreateObject();
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        cJSON *ch = cJSON_AddObjectToObject(o, g_chan_names[c]);
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            /* micro-units as an integer string would be exact; Wh as a number is what users read */
            cJSON_AddNumberToObject(ch, g_kind_keys[k], (double)set->e_u[c][k] / 1e6);
        }
    }
    return o;
}

void
mtrd_report_print_json(const struct mtrd_report *r, const char *source_desc, FILE *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "input", source_desc);
    cJSON_AddNumberToObject(root, "duration_s", r->dur_s);
    cJSON_AddNumberToObject(root, "samples", (double)r->samples);
    cJSON_AddNumberToObject(root, "frames", (double)r->frames);
    cJSON_AddNumberToObject(root, "frames_unsynchronised", r->unsynced);
    cJSON_AddNumberToObject(root, "frames_with_gap", r->gaps);
    cJSON_AddNumberToObject(root, "f_Hz", f_mean(r));
    cJSON_AddNumberToObject(root, "f_min_Hz", (double)r->f_min_Hz);
    cJSON_AddNumberToObject(root, "f_max_Hz", (double)r->f_max_Hz);
    cJSON_AddNumberToObject(root, "f10_Hz", (double)r->f10_Hz);
    cJSON_AddStringToObject(root, "phase_sequence", seq_name(r->seq_order));
    cJSON_AddNumberToObject(root, "missing_phases_mask", r->missing_seen);
    cJSON *phases = cJSON_AddArrayToObject(root, "phases");
    double pt = 0.0;
    double qt = 0.0;
    double st = 0.0;
    for (unsigned p = 0; p < r->phase_count; p++) {
        struct phase_avg a = average(r, p);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "u_rms_V", a.u_V);
        cJSON_AddNumberToObject(o, "i_rms_A", a.i_A);
        cJSON_AddNumberToObject(o, "p_W", a.p_W);
        cJSON_AddNumberToObject(o, "q1_var", a.q1_var);
        cJSON_AddNumberToObject(o, "qb_var", a.qb_var);
        cJSON_AddNumberToObject(o, "s_VA", a.s_VA);
        cJSON_AddNumberToObject(o, "pf", a.pf);
        cJSON_AddNumberToObject(o, "u_thd_pct", a.thd_u_pct);
        cJSON_AddNumberToObject(o, "i_thd_pct", a.thd_i_pct);
        cJSON_AddItemToArray(phases, o);
        pt += a.p_W;
        qt += a.q1_var;
        st += a.s_VA;
    }
    cJSON *tot = cJSON_AddObjectToObject(root, "total");
    cJSON_AddNumberToObject(tot, "p_W", pt);
    cJSON_AddNumberToObject(tot, "q1_var", qt);
    cJSON_AddNumberToObject(tot, "s_VA", st);
    cJSON_AddNumberToObject(tot, "pf", st > 0.0 ? pt / st : 0.0);
    cJSON *ull = cJSON_AddArrayToObject(root, "u_ll_V");
    for (unsigned i = 0; i < 3; i++) {
        cJSON_AddItemToArray(ull, cJSON_CreateNumber((double)r->u_ll_last_V[i]));
    }
    cJSON_AddItemToObject(root, "registers_Wh", registers_json(&r->reg_end));
    struct mtr_reg_set delta = r->reg_end;
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            delta.e_u[c][k] -= r->reg_start.e_u[c][k];
        }
    }
    cJSON_AddItemToObject(root, "run_energy_Wh", registers_json(&delta));
    char *text = cJSON_Print(root);
    if (text != NULL) {
        fprintf(out, "%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
}
