/*
 * Console output (see console.h).
 */
#include "loop/console.h"

#include <time.h>

static void
print_time(FILE *out, uint64_t t_us)
{
    time_t t = (time_t)(t_us / 1000000u);
    struct tm tm;
    char buf[32] = "?";
    if (gmtime_r(&t, &tm) != NULL) {
        (void)strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    }
    fprintf(out, "%s.%03u UTC", buf, (unsigned)((t_us / 1000u) % 1000u));
}

void
mtrd_console_table(FILE *out, const struct mtr_snapshot *s, bool is_tty, uint16_t modbus_port)
{
    const struct mtr_metro_frame *f = &s->frame;
    const struct mtr_reg_set *r = &s->reg;
    if (is_tty) {
        fputs("\033[H\033[2J", out);
    }
    fputs("meterd  ", out);
    print_time(out, s->t_us);
    fprintf(out, "  frame %llu  f %.3f Hz  seq %s", (unsigned long long)f->seq, (double)f->f_Hz,
            f->seq_order == MTR_METRO_SEQ_123   ? "123"
            : f->seq_order == MTR_METRO_SEQ_132 ? "132"
                                                : "-");
    if (modbus_port != 0) {
        fprintf(out, "  Modbus TCP :%u", modbus_port);
    }
    fputc('\n', out);
    fprintf(out, "%-6s %9s %9s %10s %10s %10s %7s %7s %7s\n", "", "Urms V", "Irms A", "P W",
            "Q1 var", "S VA", "PF", "THDu %", "THDi %");
    for (unsigned p = 0; p < f->phase_count; p++) {
        const struct mtr_metro_phase *ph = &f->ph[p];
        fprintf(out, "L%-5u %9.2f %9.3f %10.1f %10.1f %10.1f %7.3f %7.2f %7.2f%s\n", p + 1,
                (double)ph->u_rms_V, (double)ph->i_rms_A, (double)ph->p_W, (double)ph->q1_var,
                (double)ph->s_VA, (double)ph->pf_ratio, (double)ph->u_thd_pct,
                (double)ph->i_thd_pct, ph->is_present ? "" : "  ! missing");
    }
    fprintf(out, "%-6s %9s %9.3f %10.1f %10.1f %10.1f %7.3f\n", "total", "", (double)f->i_n_A,
            (double)f->total.p_W, (double)f->total.q1_var, (double)f->total.s_VA,
            (double)f->total.pf_ratio);
    fprintf(out, "(total Irms column: computed neutral current)\n");
    fprintf(out, "+A %.4f kWh  -A %.4f kWh  +R %.4f kvarh  -R %.4f kvarh  S+ %.4f kVAh\n",
            (double)r->e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e9,
            (double)r->e_u[MTR_REG_TOTAL][MTR_REG_A_EXP] / 1e9,
            (double)r->e_u[MTR_REG_TOTAL][MTR_REG_R_IMP] / 1e9,
            (double)r->e_u[MTR_REG_TOTAL][MTR_REG_R_EXP] / 1e9,
            (double)r->e_u[MTR_REG_TOTAL][MTR_REG_S_IMP] / 1e9);
    const struct mtr_app_state *a = &s->app;
    fprintf(out, "tariff T%u  +A T1..T4 %.4f %.4f %.4f %.4f kWh", (unsigned)a->tariff,
            (double)a->tar_u[0][MTR_REG_A_IMP] / 1e9, (double)a->tar_u[1][MTR_REG_A_IMP] / 1e9,
            (double)a->tar_u[2][MTR_REG_A_IMP] / 1e9, (double)a->tar_u[3][MTR_REG_A_IMP] / 1e9);
    fprintf(out, "  demand +P %.1f W (last %.1f W, max %.1f W)\n",
            (double)s->dem_cur_mW[MTR_DEM_P_IMP] / 1e3, (double)a->dem.last_mW[MTR_DEM_P_IMP] / 1e3,
            (double)a->dem.max_mW[0][MTR_DEM_P_IMP] / 1e3);
    fprintf(out, "entries: profile %llu  billing %llu  daily %llu  events %llu\n",
            (unsigned long long)a->seq[MTR_HIST_PROFILE_1],
            (unsigned long long)a->seq[MTR_HIST_BILLING_MONTHLY],
            (unsigned long long)a->seq[MTR_HIST_BILLING_DAILY],
            (unsigned long long)a->seq[MTR_HIST_EVENT_STD]);
    if (!is_tty) {
        fputc('\n', out);
    }
    fflush(out);
}

void
mtrd_console_progress(FILE *out, uint64_t done, uint64_t total, double speed_x)
{
    const unsigned width = 40;
    double frac = total > 0 ? (double)done / (double)total : 0.0;
    if (frac > 1.0) {
        frac = 1.0;
    }
    unsigned fill = (unsigned)(frac * width);
    fputc('\r', out);
    fputc('[', out);
    for (unsigned i = 0; i < width; i++) {
        fputc(i < fill ? '#' : '.', out);
    }
    fprintf(out, "] %5.1f %%  %.0fx real time", frac * 100.0, speed_x);
    fflush(out);
}
