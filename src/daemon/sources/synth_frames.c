/*
 * Frame mode of the synthetic source (synth_frames.h): measurement frames from the
 * household model in the phasor domain, with exact energies.
 *
 * Per schedule step (1 s from t0) the model gives, per phase, RMS phasors of U and I
 * for the odd orders 1..15: I from the loads switched on (mtrd_synth_hh_schedule(),
 * mtrd_synth_hh_add()), U from the sagged fundamental (mtrd_synth_hh_u1()) and the
 * voltage spectrum (mtrd_synth_hh_voltage()). The step's mean quantities follow in
 * closed form (P = sum Re U conj I, QB = sum Im, Q1 and P1 from order 1, U^2 = sum |U|^2,
 * S = Urms Irms, METROLOGY-TESTS.md 3.1), and a frame integrates them over the steps it
 * overlaps with integer-microsecond weights. The truth integrates the very same
 * function with the very same code (sf_integrate()), so frames and truth agree to the
 * last bit over whole frames.
 *
 * Speed: the load list is cheap to evaluate (about 0.1 us); the current phasors of all
 * loads but the PV inverter are cached while the list does not change, and the PV
 * current is its 1-W template scaled, so a step costs a few hundred flops and no
 * trigonometry unless an appliance switches.
 */
#include "synth_frames.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SF_PI        3.14159265358979323846
#define SF_NO        MTRD_SYNTH_HH_ORDERS /* odd orders 1, 3, ..., 15: index o is 2o+1 */
#define SF_US_PER_WH 3.6e9                /* W*us per Wh */
#define SF_DAY_us    86400000000LL
#define SF_F10_STEPS 10 /* IEC 61000-4-30 10-s frequency: ten 1-s steps */
#define SF_SINE_U_V  230.0
#define SF_SINE_I_A  5.0
#define SF_SINE_LAG  (SF_PI / 6.0) /* 30 degrees, as source_synth.c's "sine" */

_Static_assert(2 * SF_NO - 1 <= MTR_CFG_MAX_HARMONIC, "household orders fit the harmonic groups");
_Static_assert(MTRD_SYNTH_FRAMES_STEP_us % MTRD_SYNTH_FRAMES_SAMPLE_us == 0,
               "a schedule step is whole samples");

enum sf_kind {
    SF_HOUSEHOLD = 0,
    SF_SINE = 1,
};

/* Mean quantities of one phase over one schedule step. */
struct sf_phase {
    double p_W;
    double q1_var;
    double qb_var;
    double s_VA;
    double p1_W; /* fundamental active power, for the frame's phase angle */
    double u2_V2;
    double i2_A2;
    double uh2_V2[SF_NO];
    double ih2_A2[SF_NO];
};

/*
 * One schedule step: the phases, line-to-line voltages and neutral current (mean
 * squares). Also used for the time integral over a span (every field times us).
 */
struct sf_step {
    struct sf_phase ph[MTRD_SYNTH_MAX_PHASES];
    double ull2_V2[3];
    double in2_A2;
};

/*
 * Evaluation cache: the last step, the loads of its list other than PV with their
 * summed current, and its PV powers. A step whose loads and PV powers equal the
 * cached ones has the same phasors, so st stands (nights: minutes without a change).
 */
struct sf_cache {
    int64_t step; /* index of st; -1 none */
    struct sf_step st;
    uint8_t fixed_count;
    struct mtrd_synth_hh_load fixed[MTRD_SYNTH_HH_MAX_LOADS];
    struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES];
    double pv_W[MTRD_SYNTH_MAX_PHASES];
};

struct mtrd_synth_frames {
    struct mtrd_synth_frames_spec spec;
    enum sf_kind kind;
    uint8_t np;
    int64_t frame_us;
    double tod0_s; /* local time of day at t0, s */
    /* household: U per volt of U1; sine: U and I themselves */
    double u_re[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double u_im[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double i_re[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double i_im[MTRD_SYNTH_MAX_PHASES][SF_NO];
    struct mtrd_synth_hh_phasors pv_tpl[MTRD_SYNTH_MAX_PHASES]; /* 1 W of PV export */
    float u_angle_deg[MTRD_SYNTH_MAX_PHASES];
    /* position */
    uint64_t seq;
    struct sf_cache cache;
    /* frequency walk: f_Hz holds during step f_step */
    int64_t f_step;
    double f_Hz;
    uint64_t f_rng;
    double f10_sum_Hz;
    float f10_Hz;
    uint64_t f10_count;
    uint64_t f10_reported;
    /* the previous frame and its integrals: an unchanged household (nights) repeats it */
    bool has_prev;
    struct sf_step prev_in;
    struct mtr_metro_frame prev_fr;
};

static void
sf_err(char *err, size_t err_cap, const char *fmt, ...)
{
    if (err == NULL || err_cap == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err, err_cap, fmt, ap); /* truncation is acceptable for a message */
    va_end(ap);
}

/* ---- one schedule step ---- */

static bool
sf_same_load(const struct mtrd_synth_hh_load *a, const struct mtrd_synth_hh_load *b)
{
    return a->kind == b->kind && a->phase == b->phase && a->p_W == b->p_W &&
           a->pf_ratio == b->pf_ratio;
}

/*
 * Current of the household at step k into acc (the non-PV part cached in c).
 * Returns false when it is the cached step's current (acc is then not written).
 */
static bool
sf_hh_current(const struct mtrd_synth_frames *g,
              struct sf_cache *c,
              int64_t k,
              struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES])
{
    struct mtrd_synth_hh_loads l;
    mtrd_synth_hh_schedule(g->spec.seed, g->tod0_s + (double)k, &l);
    double pv_W[MTRD_SYNTH_MAX_PHASES] = {0.0, 0.0, 0.0};
    for (uint8_t n = 0; n < l.count; n++) {
        if (l.ld[n].kind == MTRD_SYNTH_HH_PV && l.ld[n].phase < MTRD_SYNTH_MAX_PHASES) {
            pv_W[l.ld[n].phase] += l.ld[n].p_W;
        }
    }
    uint8_t nf = 0;
    bool is_same = c->step >= 0;
    for (uint8_t n = 0; n < l.count; n++) {
        if (l.ld[n].kind == MTRD_SYNTH_HH_PV) {
            continue;
        }
        if (nf >= c->fixed_count || !sf_same_load(&l.ld[n], &c->fixed[nf])) {
            is_same = false;
        }
        nf++;
    }
    is_same = is_same && nf == c->fixed_count;
    if (is_same && memcmp(pv_W, c->pv_W, sizeof(pv_W)) == 0) {
        return false;
    }
    memcpy(c->pv_W, pv_W, sizeof(pv_W));
    if (!is_same) {
        memset(c->acc, 0, sizeof(c->acc));
        c->fixed_count = 0;
        for (uint8_t n = 0; n < l.count; n++) {
            if (l.ld[n].kind != MTRD_SYNTH_HH_PV) {
                mtrd_synth_hh_add(c->acc, &l.ld[n]);
                c->fixed[c->fixed_count++] = l.ld[n];
            }
        }
    }
    memcpy(acc, c->acc, sizeof(c->acc));
    for (uint8_t n = 0; n < l.count; n++) {
        const struct mtrd_synth_hh_load *ld = &l.ld[n];
        if (ld->kind != MTRD_SYNTH_HH_PV || ld->phase >= MTRD_SYNTH_MAX_PHASES) {
            continue;
        }
        /* the PV current is linear in |P|: its 1-W template scaled (mtrd_synth_hh_add()) */
        const struct mtrd_synth_hh_phasors *t = &g->pv_tpl[ld->phase];
        struct mtrd_synth_hh_phasors *a = &acc[ld->phase];
        double w = fabs(ld->p_W);
        for (unsigned o = 0; o < SF_NO; o++) {
            a->re[o] += w * t->re[o];
            a->im[o] += w * t->im[o];
        }
        a->p_W += ld->p_W;
    }
    return true;
}

/* Mean quantities of one phase from its phasors (METROLOGY-TESTS.md 3.1). */
static void
sf_phase_stats(
    const double *ur, const double *ui, const double *ir, const double *ii, struct sf_phase *ph)
{
    double p = 0.0;
    double qb = 0.0;
    double u2 = 0.0;
    double i2 = 0.0;
    for (unsigned o = 0; o < SF_NO; o++) {
        /* U conj(I) = U I e^{j(alpha - beta)}: real part P, imaginary part Q (lagging > 0) */
        p += ur[o] * ir[o] + ui[o] * ii[o];
        qb += ui[o] * ir[o] - ur[o] * ii[o];
        ph->uh2_V2[o] = ur[o] * ur[o] + ui[o] * ui[o];
        ph->ih2_A2[o] = ir[o] * ir[o] + ii[o] * ii[o];
        u2 += ph->uh2_V2[o];
        i2 += ph->ih2_A2[o];
    }
    ph->p_W = p;
    ph->qb_var = qb;
    ph->p1_W = ur[0] * ir[0] + ui[0] * ii[0];
    ph->q1_var = ui[0] * ir[0] - ur[0] * ii[0];
    ph->u2_V2 = u2;
    ph->i2_A2 = i2;
    ph->s_VA = sqrt(u2 * i2);
}

/* Evaluate step k into c->st (no-op when it is the cached step). */
static void
sf_eval(const struct mtrd_synth_frames *g, struct sf_cache *c, int64_t k)
{
    if (c->step == k) {
        return;
    }
    double ur[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double ui[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double ir[MTRD_SYNTH_MAX_PHASES][SF_NO];
    double ii[MTRD_SYNTH_MAX_PHASES][SF_NO];
    if (g->kind == SF_SINE) {
        memcpy(ur, g->u_re, sizeof(ur));
        memcpy(ui, g->u_im, sizeof(ui));
        memcpy(ir, g->i_re, sizeof(ir));
        memcpy(ii, g->i_im, sizeof(ii));
    } else {
        struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES];
        if (!sf_hh_current(g, c, k, acc)) {
            c->step = k;
            return;
        }
        for (uint8_t p = 0; p < g->np; p++) {
            double u1 = mtrd_synth_hh_u1(&acc[p], p);
            for (unsigned o = 0; o < SF_NO; o++) {
                ur[p][o] = u1 * g->u_re[p][o];
                ui[p][o] = u1 * g->u_im[p][o];
                ir[p][o] = acc[p].re[o];
                ii[p][o] = acc[p].im[o];
            }
        }
    }
    struct sf_step *st = &c->st;
    memset(st, 0, sizeof(*st));
    for (uint8_t p = 0; p < g->np; p++) {
        sf_phase_stats(ur[p], ui[p], ir[p], ii[p], &st->ph[p]);
    }
    if (g->np == 3) {
        for (unsigned o = 0; o < SF_NO; o++) {
            for (unsigned p = 0; p < 3; p++) {
                unsigned q = (p + 1u) % 3u;
                double dr = ur[p][o] - ur[q][o];
                double di = ui[p][o] - ui[q][o];
                st->ull2_V2[p] += dr * dr + di * di;
            }
            double nr = ir[0][o] + ir[1][o] + ir[2][o];
            double ni = ii[0][o] + ii[1][o] + ii[2][o];
            st->in2_A2 += nr * nr + ni * ni;
        }
    }
    c->step = k;
}

/* ---- integration over time ---- */

static void
sf_acc_phase(struct sf_phase *a, const struct sf_phase *x, double dt)
{
    a->p_W += x->p_W * dt;
    a->q1_var += x->q1_var * dt;
    a->qb_var += x->qb_var * dt;
    a->s_VA += x->s_VA * dt;
    a->p1_W += x->p1_W * dt;
    a->u2_V2 += x->u2_V2 * dt;
    a->i2_A2 += x->i2_A2 * dt;
    for (unsigned o = 0; o < SF_NO; o++) {
        a->uh2_V2[o] += x->uh2_V2[o] * dt;
        a->ih2_A2[o] += x->ih2_A2[o] * dt;
    }
}

/*
 * Integral of the step quantities over [a_us, b_us) relative to t0 (a < b), in
 * "quantity x us". Pieces are cut at step boundaries; weights are exact integers.
 */
static void
sf_integrate(const struct mtrd_synth_frames *g,
             struct sf_cache *c,
             int64_t a_us,
             int64_t b_us,
             struct sf_step *out)
{
    memset(out, 0, sizeof(*out));
    int64_t x = a_us;
    while (x < b_us) {
        int64_t k = x / MTRD_SYNTH_FRAMES_STEP_us;
        int64_t end = (k + 1) * MTRD_SYNTH_FRAMES_STEP_us;
        if (end > b_us) {
            end = b_us;
        }
        double dt = (double)(end - x);
        sf_eval(g, c, k);
        for (uint8_t p = 0; p < g->np; p++) {
            sf_acc_phase(&out->ph[p], &c->st.ph[p], dt);
        }
        for (unsigned p = 0; p < 3; p++) {
            out->ull2_V2[p] += c->st.ull2_V2[p] * dt;
        }
        out->in2_A2 += c->st.in2_A2 * dt;
        x = end;
    }
}

static double
sf_q(const struct mtrd_synth_frames *g, const struct sf_phase *ph)
{
    return g->spec.q_def == MTR_METRO_Q_BUDEANU ? ph->qb_var : ph->q1_var;
}

/* ---- the frame ---- */

/* Finish the frequency step f_step: the 10-s mean, then the walk's next second. */
static void
sf_f_advance(struct mtrd_synth_frames *g)
{
    g->f10_sum_Hz += g->f_Hz;
    if ((g->f_step + 1) % SF_F10_STEPS == 0) {
        g->f10_Hz = (float)(g->f10_sum_Hz / SF_F10_STEPS);
        g->f10_sum_Hz = 0.0;
        g->f10_count++;
    }
    g->f_step++;
    if (g->kind == SF_HOUSEHOLD) {
        g->f_Hz = mtrd_synth_hh_f_step(g->f_Hz, (double)g->spec.f_nom_Hz, &g->f_rng);
    }
}

/* Time-weighted mean frequency over [a_us, b_us), advancing the walk past b_us's step end. */
static double
sf_f_mean(struct mtrd_synth_frames *g, int64_t a_us, int64_t b_us)
{
    double sum = 0.0;
    int64_t x = a_us;
    while (x < b_us) {
        int64_t end = (g->f_step + 1) * MTRD_SYNTH_FRAMES_STEP_us;
        if (x >= end) {
            sf_f_advance(g);
            continue;
        }
        int64_t e = end < b_us ? end : b_us;
        sum += g->f_Hz * (double)(e - x);
        x = e;
    }
    if (b_us == (g->f_step + 1) * MTRD_SYNTH_FRAMES_STEP_us) {
        sf_f_advance(g);
    }
    return sum / (double)(b_us - a_us);
}

static float
sf_wrap_deg(double a)
{
    while (a > 180.0) {
        a -= 360.0;
    }
    while (a <= -180.0) {
        a += 360.0;
    }
    return (float)a;
}

/* sqrt of a mean square, skipping the orders the model leaves empty. */
static float
sf_rms(double sum_sq_us, double inv_T_us)
{
    return sum_sq_us > 0.0 ? (float)sqrt(sum_sq_us * inv_T_us) : 0.0f;
}

static void
sf_fill_phase(const struct mtrd_synth_frames *g,
              const struct sf_phase *in,
              double inv_T_us,
              uint8_t p,
              struct mtr_metro_phase *ph)
{
    ph->u_rms_V = sf_rms(in->u2_V2, inv_T_us);
    ph->i_rms_A = sf_rms(in->i2_A2, inv_T_us);
    ph->p_W = (float)(in->p_W * inv_T_us);
    ph->q1_var = (float)(in->q1_var * inv_T_us);
    ph->qb_var = (float)(in->qb_var * inv_T_us);
    ph->s_VA = (float)(in->s_VA * inv_T_us);
    double pf = in->s_VA > 0.0 ? in->p_W / in->s_VA : 0.0;
    ph->pf_ratio = (float)(pf > 1.0 ? 1.0 : (pf < -1.0 ? -1.0 : pf));
    ph->phi_deg = (in->q1_var == 0.0 && in->p1_W == 0.0)
                      ? 0.0f
                      : sf_wrap_deg(atan2(in->q1_var, in->p1_W) * 180.0 / SF_PI);
    ph->u_angle_deg = g->u_angle_deg[p];
    double hu = 0.0;
    double hi = 0.0;
    for (unsigned o = 0; o < SF_NO; o++) {
        ph->u_h_V[2 * o + 1] = sf_rms(in->uh2_V2[o], inv_T_us);
        ph->i_h_A[2 * o + 1] = sf_rms(in->ih2_A2[o], inv_T_us);
        if (o > 0) {
            hu += in->uh2_V2[o];
            hi += in->ih2_A2[o];
        }
    }
    ph->u_thd_pct = in->uh2_V2[0] > 0.0 ? (float)(100.0 * sqrt(hu / in->uh2_V2[0])) : 0.0f;
    ph->i_thd_pct = in->ih2_A2[0] > 0.0 ? (float)(100.0 * sqrt(hi / in->ih2_A2[0])) : 0.0f;
    ph->e_p_Wh = in->p_W / SF_US_PER_WH;
    ph->e_q_varh = sf_q(g, in) / SF_US_PER_WH;
    ph->e_s_VAh = in->s_VA / SF_US_PER_WH;
    ph->is_present = true; /* the model's voltage never leaves 232 V +- a few volts */
}

/* The per-phase quantities and totals of a frame from its integrals (every other field 0). */
static void
sf_fill_quantities(const struct mtrd_synth_frames *g,
                   const struct sf_step *in,
                   double inv_T,
                   struct mtr_metro_frame *fr)
{
    memset(fr, 0, sizeof(*fr));
    fr->phase_count = g->np;
    struct mtr_metro_total *t = &fr->total;
    for (uint8_t p = 0; p < g->np; p++) {
        struct mtr_metro_phase *ph = &fr->ph[p];
        sf_fill_phase(g, &in->ph[p], inv_T, p, ph);
        /* in the metrology's order (metro_frame.c fill_totals()) */
        t->p_W += ph->p_W;
        t->q1_var += ph->q1_var;
        t->qb_var += ph->qb_var;
        t->s_VA += ph->s_VA;
        t->e_p_Wh += ph->e_p_Wh;
        t->e_q_varh += ph->e_q_varh;
        t->e_s_VAh += ph->e_s_VAh;
    }
    t->pf_ratio = t->s_VA > 0.0f ? t->p_W / t->s_VA : 0.0f;
    if (g->np == 3) {
        fr->seq_order = fr->ph[1].u_angle_deg < 0.0f ? MTR_METRO_SEQ_123 : MTR_METRO_SEQ_132;
        for (unsigned p = 0; p < 3; p++) {
            fr->u_ll_V[p] = sf_rms(in->ull2_V2[p], inv_T);
        }
        fr->i_n_A = sf_rms(in->in2_A2, inv_T);
    }
}

enum mtr_err
mtrd_synth_frames_next(struct mtrd_synth_frames *g, struct mtr_metro_frame *fr, int64_t *t_start_us)
{
    if (g == NULL || fr == NULL) {
        return MTR_EINVAL;
    }
    int64_t a = (int64_t)g->seq * g->frame_us;
    int64_t b = a + g->frame_us;
    struct sf_step in;
    sf_integrate(g, &g->cache, a, b, &in);
    if (g->has_prev && memcmp(&in, &g->prev_in, sizeof(in)) == 0) {
        *fr = g->prev_fr; /* same integrals, same quantities: only the timing fields change */
    } else {
        sf_fill_quantities(g, &in, 1.0 / (double)g->frame_us, fr);
        g->prev_in = in;
        g->prev_fr = *fr;
        g->has_prev = true;
    }
    fr->seq = g->seq;
    fr->sample_count = (uint32_t)(g->frame_us / MTRD_SYNTH_FRAMES_SAMPLE_us);
    fr->sample_start = g->seq * fr->sample_count;
    fr->duration_s = (double)fr->sample_count / (double)MTRD_SYNTH_FRAMES_FS_HZ;
    fr->f_Hz = (float)sf_f_mean(g, a, b);
    fr->flags = 0;
    if (g->f10_count != g->f10_reported) {
        fr->flags |= MTR_METRO_FLAG_F10_NEW;
        g->f10_reported = g->f10_count;
    }
    fr->f10_Hz = g->f10_Hz;
    if (t_start_us != NULL) {
        *t_start_us = g->spec.t0_us + a;
    }
    g->seq++;
    return MTR_OK;
}

/* ---- truth ---- */

/* Add amounts (Wh, varh, VAh) to a register channel by the signs of (sp, sq), as reg.c. */
static void
sf_classify(struct mtrd_synth_frames_reg *r, double sp, double sq, double e, double q, double s)
{
    bool is_import = sp >= 0.0;
    bool is_inductive = sq >= 0.0;
    if (is_import) {
        r->e_imp_Wh += fabs(e);
        r->s_imp_VAh += fabs(s);
        if (is_inductive) {
            r->r_q1_varh += fabs(q);
        } else {
            r->r_q4_varh += fabs(q);
        }
    } else {
        r->e_exp_Wh += fabs(e);
        r->s_exp_VAh += fabs(s);
        if (is_inductive) {
            r->r_q2_varh += fabs(q);
        } else {
            r->r_q3_varh += fabs(q);
        }
    }
}

/*
 * Classify the energies of `part` by the signs of `whole` (both integrals in
 * quantity x us), computing each energy exactly as mtrd_synth_frames_next() does.
 */
static void
sf_truth_add(const struct mtrd_synth_frames *g,
             const struct sf_step *whole,
             const struct sf_step *part,
             struct mtrd_synth_frames_energy *out)
{
    double wp = 0.0;
    double wq = 0.0;
    double pp = 0.0;
    double pq = 0.0;
    double ps = 0.0;
    for (uint8_t p = 0; p < g->np; p++) {
        double we = whole->ph[p].p_W / SF_US_PER_WH;
        double wr = sf_q(g, &whole->ph[p]) / SF_US_PER_WH;
        double e = part->ph[p].p_W / SF_US_PER_WH;
        double q = sf_q(g, &part->ph[p]) / SF_US_PER_WH;
        double s = part->ph[p].s_VA / SF_US_PER_WH;
        sf_classify(&out->ph[p], we, wr, e, q, s);
        wp += we;
        wq += wr;
        pp += e;
        pq += q;
        ps += s;
        out->e_abs_Wh += fabs(e);
    }
    sf_classify(&out->total, wp, wq, pp, pq, ps);
    out->net_Wh += pp;
}

static enum mtr_err
sf_truth_args(const struct mtrd_synth_frames *g,
              int64_t t_a_us,
              int64_t t_b_us,
              struct mtrd_synth_frames_energy *out)
{
    if (g == NULL || out == NULL || t_a_us < g->spec.t0_us || t_b_us <= t_a_us) {
        return MTR_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->phase_count = g->np;
    out->t_s = (double)(t_b_us - t_a_us) / 1e6;
    return MTR_OK;
}

enum mtr_err
mtrd_synth_frames_truth(const struct mtrd_synth_frames *g,
                        int64_t t_a_us,
                        int64_t t_b_us,
                        struct mtrd_synth_frames_energy *out)
{
    enum mtr_err e = sf_truth_args(g, t_a_us, t_b_us, out);
    if (e != MTR_OK) {
        return e;
    }
    struct sf_cache c;
    memset(&c, 0, sizeof(c));
    c.step = -1;
    int64_t a = t_a_us - g->spec.t0_us;
    int64_t b = t_b_us - g->spec.t0_us;
    for (int64_t fa = a / g->frame_us * g->frame_us; fa < b; fa += g->frame_us) {
        int64_t fb = fa + g->frame_us;
        struct sf_step whole;
        sf_integrate(g, &c, fa, fb, &whole);
        if (fa >= a && fb <= b) {
            sf_truth_add(g, &whole, &whole, out);
        } else {
            struct sf_step part;
            sf_integrate(g, &c, fa > a ? fa : a, fb < b ? fb : b, &part);
            sf_truth_add(g, &whole, &part, out);
        }
    }
    return MTR_OK;
}

enum mtr_err
mtrd_synth_frames_truth_inst(const struct mtrd_synth_frames *g,
                             int64_t t_a_us,
                             int64_t t_b_us,
                             struct mtrd_synth_frames_energy *out)
{
    enum mtr_err e = sf_truth_args(g, t_a_us, t_b_us, out);
    if (e != MTR_OK) {
        return e;
    }
    struct sf_cache c;
    memset(&c, 0, sizeof(c));
    c.step = -1;
    int64_t a = t_a_us - g->spec.t0_us;
    int64_t b = t_b_us - g->spec.t0_us;
    while (a < b) {
        int64_t end = (a / MTRD_SYNTH_FRAMES_STEP_us + 1) * MTRD_SYNTH_FRAMES_STEP_us;
        if (end > b) {
            end = b;
        }
        struct sf_step piece;
        sf_integrate(g, &c, a, end, &piece); /* one step: the signs are the step's own */
        sf_truth_add(g, &piece, &piece, out);
        a = end;
    }
    return MTR_OK;
}

/* ---- open / close ---- */

/* Phasors of a waveform by odd order index (terms of equal order add). */
static void
sf_wave_phasors(const struct mtrd_synth_wave *w, double *re, double *im)
{
    for (unsigned o = 0; o < SF_NO; o++) {
        re[o] = 0.0;
        im[o] = 0.0;
    }
    for (uint8_t t = 0; t < w->term_count && t < MTRD_SYNTH_MAX_TERMS; t++) {
        unsigned h = w->term[t].order;
        if (h % 2u == 1u && (h - 1u) / 2u < SF_NO) {
            re[(h - 1u) / 2u] += w->term[t].rms * cos(w->term[t].phase_rad);
            im[(h - 1u) / 2u] += w->term[t].rms * sin(w->term[t].phase_rad);
        }
    }
}

static enum mtr_err
sf_templates(struct mtrd_synth_frames *g)
{
    static const double alpha[3] = {0.0, -2.0 * SF_PI / 3.0, 2.0 * SF_PI / 3.0};
    struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES];
    for (uint8_t p = 0; p < g->np; p++) {
        struct mtrd_synth_wave w;
        if (g->kind == SF_SINE) {
            mtrd_synth_wave_sine(&w, SF_SINE_U_V, alpha[p]);
            sf_wave_phasors(&w, g->u_re[p], g->u_im[p]);
            mtrd_synth_wave_sine(&w, SF_SINE_I_A, alpha[p] - SF_SINE_LAG);
            sf_wave_phasors(&w, g->i_re[p], g->i_im[p]);
        } else {
            enum mtr_err e = mtrd_synth_hh_voltage(&w, p, 1.0);
            if (e != MTR_OK) {
                return e;
            }
            sf_wave_phasors(&w, g->u_re[p], g->u_im[p]);
            memset(acc, 0, sizeof(acc));
            struct mtrd_synth_hh_load pv = {
                .kind = MTRD_SYNTH_HH_PV, .phase = p, .p_W = -1.0, .pf_ratio = 1.0};
            mtrd_synth_hh_add(acc, &pv);
            g->pv_tpl[p] = acc[p];
        }
        double a0 = atan2(g->u_im[0][0], g->u_re[0][0]);
        g->u_angle_deg[p] = sf_wrap_deg((atan2(g->u_im[p][0], g->u_re[p][0]) - a0) * 180.0 / SF_PI);
    }
    return MTR_OK;
}

enum mtr_err
mtrd_synth_frames_open(const struct mtrd_synth_frames_spec *spec,
                       struct mtrd_synth_frames **out,
                       char *err,
                       size_t err_cap)
{
    if (spec == NULL || out == NULL) {
        sf_err(err, err_cap, "synth frames: no specification");
        return MTR_EINVAL;
    }
    const char *name =
        spec->scenario != NULL && spec->scenario[0] != '\0' ? spec->scenario : "household";
    enum sf_kind kind;
    if (strcmp(name, "household") == 0) {
        kind = SF_HOUSEHOLD;
    } else if (strcmp(name, "sine") == 0) {
        kind = SF_SINE;
    } else {
        sf_err(err, err_cap, "synth frames: unknown scenario \"%s\" (household, sine)", name);
        return MTR_EINVAL;
    }
    uint16_t f_nom = spec->f_nom_Hz == 0 ? 50 : spec->f_nom_Hz;
    if (f_nom != 50 && f_nom != 60) {
        sf_err(err, err_cap, "synth frames: nominal frequency %u Hz is not 50 or 60",
               (unsigned)f_nom);
        return MTR_EINVAL;
    }
    double frame_s = spec->frame_s == 0.0 ? MTRD_SYNTH_FRAMES_DEF_S : spec->frame_s;
    if (!(frame_s >= MTRD_SYNTH_FRAMES_MIN_S && frame_s <= MTRD_SYNTH_FRAMES_MAX_S)) {
        sf_err(err, err_cap, "synth frames: frame length %g s outside %g..%g s", frame_s,
               MTRD_SYNTH_FRAMES_MIN_S, MTRD_SYNTH_FRAMES_MAX_S);
        return MTR_EINVAL;
    }
    uint8_t np = spec->phase_count == 0 ? 3 : spec->phase_count;
    if (np != 1 && np != 3) {
        sf_err(err, err_cap, "synth frames: %u phases (1 or 3)", (unsigned)np);
        return MTR_EINVAL;
    }
    if (spec->tz_min < -1440 || spec->tz_min > 1440) {
        sf_err(err, err_cap, "synth frames: time zone offset %d min beyond +-1440",
               (int)spec->tz_min);
        return MTR_EINVAL;
    }
    struct mtrd_synth_frames *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        sf_err(err, err_cap, "synth frames: out of memory");
        return MTR_ENOMEM;
    }
    g->spec = *spec;
    g->spec.scenario = NULL; /* borrowed pointer not kept */
    g->spec.f_nom_Hz = f_nom;
    g->spec.phase_count = np;
    g->kind = kind;
    g->np = np;
    /* whole nominal samples: every boundary is a whole number of microseconds */
    g->frame_us = (int64_t)llround(frame_s * MTRD_SYNTH_FRAMES_FS_HZ) * MTRD_SYNTH_FRAMES_SAMPLE_us;
    g->spec.frame_s = (double)g->frame_us / 1e6;
    int64_t local_us = spec->t0_us + (int64_t)spec->tz_min * 60000000LL;
    int64_t tod_us = ((local_us % SF_DAY_us) + SF_DAY_us) % SF_DAY_us;
    g->tod0_s = (double)tod_us / 1e6;
    enum mtr_err e = sf_templates(g);
    if (e != MTR_OK) {
        sf_err(err, err_cap, "synth frames: cannot build scenario \"%s\": %s", name,
               mtr_strerror(e));
        free(g);
        return e;
    }
    g->cache.step = -1;
    g->f_rng = mtrd_synth_hh_f_rng(spec->seed);
    g->f_Hz = (double)f_nom;
    if (kind == SF_HOUSEHOLD) {
        /* as the sample mode: the first step's frequency is one walk step from nominal */
        g->f_Hz = mtrd_synth_hh_f_step(g->f_Hz, (double)f_nom, &g->f_rng);
    }
    *out = g;
    return MTR_OK;
}

int64_t
mtrd_synth_frames_len_us(const struct mtrd_synth_frames *g)
{
    return g == NULL ? 0 : g->frame_us;
}

void
mtrd_synth_frames_close(struct mtrd_synth_frames *g)
{
    free(g);
}
