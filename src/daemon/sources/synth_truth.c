/*
 * Analytic truth of the synthetic model (METROLOGY-TESTS.md 3.1).
 *
 * Energy over any duration by the closed form of the protocol, summed over the
 * model's segments (whole or partial), from the unquantised parameters. Within
 * a segment starting at phase theta_s, term h of v is sqrt2 Vh cos(h w tau +
 * alpha_h + h theta_s), so the closed form applies with alpha' = alpha + h
 * theta_s, beta' = beta + k theta_s and tau in [0, T]. The difference
 * sin(m w T + th) - sin(th) is evaluated as 2 cos(m w T / 2 + th) sin(m w T / 2)
 * to avoid cancellation when m w T is small.
 *
 * Reactive "energy" is the integral of v times the current shifted by +90 deg
 * (every beta + pi/2, DC of the current dropped): all terms for the Budeanu /
 * total definition, only h = k = 1 for the fundamental Q1 (IEC 62053-24).
 */
#include "synth.h"

#include <math.h>
#include <string.h>

#define TRUTH_HALF_PI 1.5707963267948966192313216916398
#define TRUTH_2PI     6.283185307179586476925286766559
#define TRUTH_S_PER_H 3600.0

/* Integral over [0, T] of cos(m w tau + th). */
static double
F(int m, double w, double T, double th)
{
    if (m == 0) {
        return T * cos(th);
    }
    double x = (double)m * w * T / 2.0;
    return 2.0 * cos(x + th) * sin(x) / ((double)m * w);
}

enum truth_kind {
    TRUTH_P = 0,
    TRUTH_QB = 1,
    TRUTH_Q1 = 2,
};

/* Energy in joules of one phase over [0, T] of a segment starting at phase th0. */
static double
seg_energy(const struct mtrd_synth_seg *seg, uint8_t p, double th0, double T, enum truth_kind kind)
{
    const struct mtrd_synth_wave *u = &seg->sig->u[p];
    const struct mtrd_synth_wave *i = &seg->sig->i[p];
    double w = TRUTH_2PI * seg->f_Hz;
    double vdc = u->dc * seg->u_scale;
    double idc = kind == TRUTH_P ? i->dc * seg->i_scale : 0.0;
    double shift = kind == TRUTH_P ? 0.0 : TRUTH_HALF_PI;
    double e = 0.0;
    if (kind != TRUTH_Q1) {
        e += vdc * idc * T;
        for (uint8_t a = 0; a < u->term_count; a++) {
            const struct mtrd_synth_term *th = &u->term[a];
            double al = th->phase_rad + th->order * th0;
            e += sqrt(2.0) * th->rms * seg->u_scale * idc * F(th->order, w, T, al);
        }
        for (uint8_t b = 0; b < i->term_count; b++) {
            const struct mtrd_synth_term *tk = &i->term[b];
            double be = tk->phase_rad + tk->order * th0 + shift;
            e += sqrt(2.0) * tk->rms * seg->i_scale * vdc * F(tk->order, w, T, be);
        }
    }
    for (uint8_t a = 0; a < u->term_count; a++) {
        const struct mtrd_synth_term *th = &u->term[a];
        if (kind == TRUTH_Q1 && th->order != 1) {
            continue;
        }
        double al = th->phase_rad + th->order * th0;
        double vh = th->rms * seg->u_scale;
        for (uint8_t b = 0; b < i->term_count; b++) {
            const struct mtrd_synth_term *tk = &i->term[b];
            if (kind == TRUTH_Q1 && tk->order != 1) {
                continue;
            }
            double be = tk->phase_rad + tk->order * th0 + shift;
            double ik = tk->rms * seg->i_scale;
            int h = th->order;
            int k = tk->order;
            e += vh * ik * (F(h - k, w, T, al - be) + F(h + k, w, T, al + be));
        }
    }
    return e;
}

/* Phasors per order (terms of equal order add). */
static void
phasors(const struct mtrd_synth_wave *w, double scale, double *re, double *im)
{
    memset(re, 0, sizeof(double) * (MTRD_SYNTH_MAX_ORDER + 1));
    memset(im, 0, sizeof(double) * (MTRD_SYNTH_MAX_ORDER + 1));
    for (uint8_t t = 0; t < w->term_count && t < MTRD_SYNTH_MAX_TERMS; t++) {
        uint8_t h = w->term[t].order;
        if (h == 0 || h > MTRD_SYNTH_MAX_ORDER) {
            continue;
        }
        re[h] += scale * w->term[t].rms * cos(w->term[t].phase_rad);
        im[h] += scale * w->term[t].rms * sin(w->term[t].phase_rad);
    }
}

enum mtr_err
mtrd_synth_truth_stats(const struct mtrd_synth_seg *seg,
                       uint8_t phase,
                       struct mtrd_synth_stats *out)
{
    if (seg == NULL || out == NULL || seg->sig == NULL || phase >= seg->sig->phase_count) {
        return MTR_EINVAL;
    }
    double ur[MTRD_SYNTH_MAX_ORDER + 1];
    double ui[MTRD_SYNTH_MAX_ORDER + 1];
    double ir[MTRD_SYNTH_MAX_ORDER + 1];
    double ii[MTRD_SYNTH_MAX_ORDER + 1];
    phasors(&seg->sig->u[phase], seg->u_scale, ur, ui);
    phasors(&seg->sig->i[phase], seg->i_scale, ir, ii);
    double vdc = seg->sig->u[phase].dc * seg->u_scale;
    double idc = seg->sig->i[phase].dc * seg->i_scale;
    double u2 = vdc * vdc;
    double i2 = idc * idc;
    double uh2 = 0.0;
    double ih2 = 0.0;
    double p = vdc * idc;
    double qb = 0.0;
    for (int h = 1; h <= MTRD_SYNTH_MAX_ORDER; h++) {
        double um2 = ur[h] * ur[h] + ui[h] * ui[h];
        double im2 = ir[h] * ir[h] + ii[h] * ii[h];
        u2 += um2;
        i2 += im2;
        if (h >= 2) {
            uh2 += um2;
            ih2 += im2;
        }
        /* V conj(I) = V I e^{j(alpha - beta)}: real part P, imaginary part Q (lagging > 0) */
        p += ur[h] * ir[h] + ui[h] * ii[h];
        qb += ui[h] * ir[h] - ur[h] * ii[h];
    }
    memset(out, 0, sizeof(*out));
    out->u_rms_V = sqrt(u2);
    out->i_rms_A = sqrt(i2);
    out->u1_rms_V = hypot(ur[1], ui[1]);
    out->i1_rms_A = hypot(ir[1], ii[1]);
    out->p_W = p;
    out->q1_var = ui[1] * ir[1] - ur[1] * ii[1];
    out->qb_var = qb;
    out->s_VA = out->u_rms_V * out->i_rms_A;
    out->pf_ratio = out->s_VA > 0.0 ? p / out->s_VA : 0.0;
    double p1 = ur[1] * ir[1] + ui[1] * ii[1];
    out->phi1_deg = atan2(out->q1_var, p1) * 180.0 / (TRUTH_2PI / 2.0);
    out->u_thd_pct = out->u1_rms_V > 0.0 ? 100.0 * sqrt(uh2) / out->u1_rms_V : 0.0;
    out->i_thd_pct = out->i1_rms_A > 0.0 ? 100.0 * sqrt(ih2) / out->i1_rms_A : 0.0;
    return MTR_OK;
}

/* Phase after k samples; the same recurrence as the generator. */
static double
theta_at(double theta, double f_Hz, uint64_t k, double fs_Hz)
{
    double th = theta + TRUTH_2PI * f_Hz * ((double)k / fs_Hz);
    th = fmod(th, TRUTH_2PI);
    return th < 0.0 ? th + TRUTH_2PI : th;
}

enum mtr_err
mtrd_synth_truth_energy(const struct mtrd_synth_model *model,
                        uint8_t phase,
                        uint64_t n0,
                        uint64_t n1,
                        struct mtrd_synth_energy *out)
{
    if (model == NULL || out == NULL || model->seg == NULL || model->seg_count == 0 ||
        !(model->fs_Hz > 0.0) || n1 <= n0 || model->seg[0].sig == NULL ||
        phase >= model->seg[0].sig->phase_count || n1 > mtrd_synth_model_samples(model)) {
        return MTR_EINVAL;
    }
    struct mtrd_synth_energy e;
    memset(&e, 0, sizeof(e));
    double th = model->theta0_rad;
    uint64_t a = 0;
    for (size_t s = 0; s < model->seg_count && a < n1; s++) {
        const struct mtrd_synth_seg *seg = &model->seg[s];
        uint64_t b = a + seg->sample_count;
        uint64_t lo = n0 > a ? n0 : a;
        uint64_t hi = n1 < b ? n1 : b;
        if (lo < hi) {
            double th_lo = theta_at(th, seg->f_Hz, lo - a, model->fs_Hz);
            double T = (double)(hi - lo) / model->fs_Hz;
            struct mtrd_synth_stats st;
            if (mtrd_synth_truth_stats(seg, phase, &st) != MTR_OK) {
                return MTR_EINVAL;
            }
            e.p_Wh += seg_energy(seg, phase, th_lo, T, TRUTH_P) / TRUTH_S_PER_H;
            e.qb_Wh += seg_energy(seg, phase, th_lo, T, TRUTH_QB) / TRUTH_S_PER_H;
            e.q1_Wh += seg_energy(seg, phase, th_lo, T, TRUTH_Q1) / TRUTH_S_PER_H;
            e.s_VAh += st.s_VA * T / TRUTH_S_PER_H;
            e.t_s += T;
        }
        th = theta_at(th, seg->f_Hz, seg->sample_count, model->fs_Hz);
        a = b;
    }
    *out = e;
    return MTR_OK;
}

enum mtr_err
mtrd_synth_model_eval(
    const struct mtrd_synth_model *model, uint8_t phase, double t_s, double *u_V, double *i_A)
{
    if (model == NULL || u_V == NULL || i_A == NULL || model->seg == NULL ||
        model->seg_count == 0 || model->seg[0].sig == NULL ||
        phase >= model->seg[0].sig->phase_count || !(t_s >= 0.0)) {
        return MTR_EINVAL;
    }
    double th = model->theta0_rad;
    uint64_t a = 0;
    for (size_t s = 0; s < model->seg_count; s++) {
        const struct mtrd_synth_seg *seg = &model->seg[s];
        uint64_t b = a + seg->sample_count;
        double tb = (double)b / model->fs_Hz;
        if (t_s < tb || s + 1 == model->seg_count) {
            double ta = (double)a / model->fs_Hz;
            double x = th + TRUTH_2PI * seg->f_Hz * (t_s - ta);
            const struct mtrd_synth_wave *u = &seg->sig->u[phase];
            const struct mtrd_synth_wave *i = &seg->sig->i[phase];
            double v = u->dc * seg->u_scale;
            double c = i->dc * seg->i_scale;
            for (uint8_t t = 0; t < u->term_count; t++) {
                v += sqrt(2.0) * u->term[t].rms * seg->u_scale *
                     cos(u->term[t].order * x + u->term[t].phase_rad);
            }
            for (uint8_t t = 0; t < i->term_count; t++) {
                c += sqrt(2.0) * i->term[t].rms * seg->i_scale *
                     cos(i->term[t].order * x + i->term[t].phase_rad);
            }
            *u_V = v;
            *i_A = c;
            return t_s <= tb * (1.0 + 1e-12) ? MTR_OK : MTR_EINVAL;
        }
        th = theta_at(th, seg->f_Hz, seg->sample_count, model->fs_Hz);
        a = b;
    }
    return MTR_EINVAL;
}
