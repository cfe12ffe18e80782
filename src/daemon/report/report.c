/*
 * Replay report (see report.h).
 */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "meterd/cat.h"

void
mtrd_report_init(struct mtrd_report *r, const struct mtr_reg_set *start)
{
    memset(r, 0, sizeof(*r));
    r->reg_start = *start;
    r->last.reg = *start;
}

static void
add_phase(struct mtrd_report_phase *a, const struct mtr_metro_phase *ph, double d, bool is_sync)
{
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

void
mtrd_report_add(struct mtrd_report *r, const struct mtr_snapshot *s)
{
    const struct mtr_metro_frame *f = &s->frame;
    double d = f->duration_s;
    /* harmonics and frequency are meaningful over whole synchronised windows only */
    bool is_sync = (f->flags & (MTR_METRO_FLAG_F_INVALID | MTR_METRO_FLAG_PARTIAL)) == 0;
    r->frames++;
    r->samples += f->sample_count;
    r->dur_s += d;
    if (is_sync) {
        r->sync_s += d;
    }
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
    r->missing_seen |= f->missing_mask;
    for (unsigned k = 0; k < 3; k++) {
        r->u_ll2_s[k] += (double)f->u_ll_V[k] * (double)f->u_ll_V[k] * d;
    }
    r->i_n2_s += (double)f->i_n_A * (double)f->i_n_A * d;
    for (unsigned p = 0; p < f->phase_count && p < MTR_CFG_MAX_PHASES; p++) {
        add_phase(&r->ph[p], &f->ph[p], d, is_sync);
    }
    r->last = *s;
}

static float
ratio(double num, double den)
{
    return den > 0.0 ? (float)(num / den) : 0.0f;
}

void
mtrd_report_snapshot(const struct mtrd_report *r, struct mtr_snapshot *out)
{
    *out = r->last;
    struct mtr_metro_frame *f = &out->frame;
    if (r->frames == 0) {
        out->is_valid = false;
        return;
    }
    const double d = r->dur_s;
    memset(&f->total, 0, sizeof(f->total));
    for (unsigned p = 0; p < f->phase_count && p < MTR_CFG_MAX_PHASES; p++) {
        const struct mtrd_report_phase *a = &r->ph[p];
        struct mtr_metro_phase *ph = &f->ph[p];
        ph->u_rms_V = (float)sqrt(a->u2_s / d);
        ph->i_rms_A = (float)sqrt(a->i2_s / d);
        ph->p_W = (float)(a->p_s / d);
        ph->q1_var = (float)(a->q1_s / d);
        ph->qb_var = (float)(a->qb_s / d);
        ph->s_VA = ph->u_rms_V * ph->i_rms_A;
        ph->pf_ratio = ratio((double)ph->p_W, (double)ph->s_VA);
        /* the mean fundamental angle, from the mean P and Q1 */
        ph->phi_deg =
            (float)(atan2((double)ph->q1_var, (double)ph->p_W) * 180.0 / 3.14159265358979323846);
        ph->u_thd_pct = ratio(a->thd_u_s, r->sync_s);
        ph->i_thd_pct = ratio(a->thd_i_s, r->sync_s);
        f->total.p_W += ph->p_W;
        f->total.q1_var += ph->q1_var;
        f->total.qb_var += ph->qb_var;
        f->total.s_VA += ph->s_VA;
    }
    f->total.pf_ratio = ratio((double)f->total.p_W, (double)f->total.s_VA);
    for (unsigned k = 0; k < 3; k++) {
        f->u_ll_V[k] = (float)sqrt(r->u_ll2_s[k] / d);
    }
    f->i_n_A = (float)sqrt(r->i_n2_s / d);
    f->f_Hz = ratio(r->f_s, r->f_dur_s);
    f->missing_mask = r->missing_seen;
    out->is_valid = true;
}

/* Registers of the register set: the report also gives what the run added to them. */
static bool
is_register(const struct mtr_cat_entry *e)
{
    return e->src == MTR_CAT_SRC_REG || e->src == MTR_CAT_SRC_NET;
}

/* Stored values printed even without a frame: registers, tariff registers, partials. */
static bool
is_stored(const struct mtr_cat_entry *e)
{
    return is_register(e) || e->src == MTR_CAT_SRC_TARIFF_REG || e->src == MTR_CAT_SRC_APP_MICRO ||
           e->src == MTR_CAT_SRC_BALANCE;
}

/* The registers gained during the run, as a snapshot (registers only). */
static void
run_snapshot(const struct mtrd_report *r, struct mtr_snapshot *out)
{
    *out = r->last;
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            out->reg.e_u[c][k] -= r->reg_start.e_u[c][k];
        }
    }
}

/* Entries to print: those that apply to the phases measured; registers only without frames. */
static bool
is_printed(const struct mtrd_report *r, const struct mtr_cat_entry *e)
{
    uint8_t phases = r->frames > 0 ? r->last.frame.phase_count : MTR_CFG_MAX_PHASES;
    if (r->frames == 0 && !is_stored(e)) {
        return false;
    }
    return mtr_cat_applies(e, phases);
}

static void
print_header_text(const struct mtrd_report *r, const char *source_desc, FILE *out)
{
    fprintf(out, "meterd report\ninput      %s\n", source_desc);
    if (r->frames == 0) {
        return;
    }
    fprintf(out, "measured   %.6f s, %llu samples, %llu frames (%u unsynchronised, %u with gaps)\n",
            r->dur_s, (unsigned long long)r->samples, (unsigned long long)r->frames, r->unsynced,
            r->gaps);
    fprintf(out, "frequency  min %.4f Hz, max %.4f Hz, latest 10-s value %.4f Hz\n",
            (double)r->f_min_Hz, (double)r->f_max_Hz, (double)r->last.frame.f10_Hz);
    fprintf(out, "values     RMS and means over the measured time; registers after the run "
                 "(gained in the run)\n");
}

void
mtrd_report_print_text(const struct mtrd_report *r, const char *source_desc, FILE *out)
{
    struct mtr_snapshot agg;
    struct mtr_snapshot run;
    mtrd_report_snapshot(r, &agg);
    run_snapshot(r, &run);
    print_header_text(r, source_desc, out);
    fprintf(out, "\n%-16s %18s %-5s %-20s %s\n", "quantity", "value", "unit", "OBIS", "name");
    size_t count = 0;
    const struct mtr_cat_entry *cat = mtr_cat_entries(&count);
    for (size_t i = 0; i < count; i++) {
        const struct mtr_cat_entry *e = &cat[i];
        double v = 0.0;
        char obis[32];
        if (!is_printed(r, e) || mtr_cat_value(e, &agg, &v) != MTR_OK ||
            mtr_cat_obis_str(e, obis, sizeof(obis)) != MTR_OK) {
            continue;
        }
        fprintf(out, "%-16s %18.6f %-5s %-20s %s", e->label, v, mtr_cat_unit_str(e->unit), obis,
                e->name);
        double dv = 0.0;
        if (is_register(e) && r->frames > 0 && mtr_cat_value(e, &run, &dv) == MTR_OK) {
            fprintf(out, "  (%+.6f)", dv);
        }
        fputc('\n', out);
    }
}

void
mtrd_report_print_json(const struct mtrd_report *r, const char *source_desc, FILE *out)
{
    struct mtr_snapshot agg;
    struct mtr_snapshot run;
    mtrd_report_snapshot(r, &agg);
    run_snapshot(r, &run);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "input", source_desc);
    cJSON_AddNumberToObject(root, "duration_s", r->dur_s);
    cJSON_AddNumberToObject(root, "samples", (double)r->samples);
    cJSON_AddNumberToObject(root, "frames", (double)r->frames);
    cJSON_AddNumberToObject(root, "frames_unsynchronised", r->unsynced);
    cJSON_AddNumberToObject(root, "frames_with_gap", r->gaps);
    cJSON_AddNumberToObject(root, "f_min_Hz", (double)r->f_min_Hz);
    cJSON_AddNumberToObject(root, "f_max_Hz", (double)r->f_max_Hz);
    cJSON_AddNumberToObject(root, "f10_Hz", (double)r->last.frame.f10_Hz);
    cJSON *values = cJSON_AddObjectToObject(root, "values");
    cJSON *units = cJSON_AddObjectToObject(root, "units");
    cJSON *gained = r->frames > 0 ? cJSON_AddObjectToObject(root, "run") : NULL;
    size_t count = 0;
    const struct mtr_cat_entry *cat = mtr_cat_entries(&count);
    for (size_t i = 0; i < count; i++) {
        const struct mtr_cat_entry *e = &cat[i];
        double v = 0.0;
        if (!is_printed(r, e) || mtr_cat_value(e, &agg, &v) != MTR_OK) {
            continue;
        }
        cJSON_AddNumberToObject(values, e->name, v);
        cJSON_AddStringToObject(units, e->name, mtr_cat_unit_str(e->unit));
        if (gained != NULL && is_register(e) && mtr_cat_value(e, &run, &v) == MTR_OK) {
            cJSON_AddNumberToObject(gained, e->name, v);
        }
    }
    char *text = cJSON_Print(root);
    if (text != NULL) {
        fprintf(out, "%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
}
