/*
 * Synthetic signal generator: the sample side of synth.h.
 *
 * Per sample it evaluates one sincos of the fundamental phase and builds the
 * harmonic phasors z^h by complex multiplication, so a waveform of any number of
 * terms costs a multiply-add per term. Phase continuity: the phase at a segment's
 * first sample is the previous segment's start phase plus omega * its duration,
 * wrapped to [0, 2 pi); synth_truth.c uses the very same recurrence
 * (mtrd_synth_seg_theta()).
 */
#include "synth.h"

#include <math.h>
#include <string.h>

#define SYNTH_2PI 6.283185307179586476925286766559

double
mtrd_synth_fs_true(double fs_nom_Hz, double ppm)
{
    return fs_nom_Hz * (1.0 + ppm * 1e-6);
}

double
mtrd_synth_lsb(double fs, uint8_t bits)
{
    return fs / ldexp(1.0, (int)bits - 1);
}

void
mtrd_synth_wave_sine(struct mtrd_synth_wave *w, double rms, double phase_rad)
{
    memset(w, 0, sizeof(*w));
    w->term_count = 1;
    w->term[0].order = 1;
    w->term[0].rms = rms;
    w->term[0].phase_rad = phase_rad;
}

enum mtr_err
mtrd_synth_wave_add(struct mtrd_synth_wave *w, uint8_t order, double rms, double phase_rad)
{
    if (w == NULL || order == 0 || order > MTRD_SYNTH_MAX_ORDER || !(rms >= 0.0)) {
        return MTR_EINVAL;
    }
    if (w->term_count >= MTRD_SYNTH_MAX_TERMS) {
        return MTR_ENOSPC;
    }
    w->term[w->term_count].order = order;
    w->term[w->term_count].rms = rms;
    w->term[w->term_count].phase_rad = phase_rad;
    w->term_count++;
    return MTR_OK;
}

uint64_t
mtrd_synth_model_samples(const struct mtrd_synth_model *model)
{
    uint64_t n = 0;
    for (size_t s = 0; s < model->seg_count; s++) {
        n += model->seg[s].sample_count;
    }
    return n;
}

/* ---- PRNG: xoshiro256** seeded by splitmix64 (Blackman & Vigna) ---- */

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in (0, 1]. */
static double
uniform01(uint64_t s[4])
{
    return ((double)(xoshiro_next(s) >> 11) + 1.0) * 0x1.0p-53;
}

/* Standard normal by the Box-Muller transform, two values per draw. */
static double
gauss(struct mtrd_synth_gen *g)
{
    if (g->has_spare) {
        g->has_spare = false;
        return g->spare;
    }
    double r = sqrt(-2.0 * log(uniform01(g->s)));
    double a = SYNTH_2PI * uniform01(g->s);
    g->spare = r * sin(a);
    g->has_spare = true;
    return r * cos(a);
}

/* ---- segment set-up ---- */

static void
coef_from_wave(struct mtrd_synth_coef *c,
               const struct mtrd_synth_wave *w,
               double scale,
               uint8_t *max_order)
{
    memset(c, 0, sizeof(*c));
    c->dc = w->dc * scale;
    for (uint8_t t = 0; t < w->term_count && t < MTRD_SYNTH_MAX_TERMS; t++) {
        const struct mtrd_synth_term *tm = &w->term[t];
        if (tm->order == 0 || tm->order > MTRD_SYNTH_MAX_ORDER) {
            continue;
        }
        double amp = sqrt(2.0) * tm->rms * scale;
        c->order[c->count] = tm->order;
        c->a[c->count] = amp * cos(tm->phase_rad);
        c->b[c->count] = amp * sin(tm->phase_rad);
        c->count++;
        if (tm->order > *max_order) {
            *max_order = tm->order;
        }
    }
}

/* RMS of the fundamental terms of a waveform (for the current-dependent CT lead). */
static double
wave_i1(const struct mtrd_synth_wave *w, double scale)
{
    double re = 0.0;
    double im = 0.0;
    for (uint8_t t = 0; t < w->term_count && t < MTRD_SYNTH_MAX_TERMS; t++) {
        if (w->term[t].order == 1) {
            re += w->term[t].rms * cos(w->term[t].phase_rad);
            im += w->term[t].rms * sin(w->term[t].phase_rad);
        }
    }
    return scale * hypot(re, im);
}

static double
ct_lead(const struct mtrd_synth_frontend *fe, double i1_A)
{
    if (!(fe->ct_lead_i_lo_A > 0.0) || !(fe->ct_lead_i_hi_A > fe->ct_lead_i_lo_A)) {
        return fe->ct_lead_rad;
    }
    if (i1_A <= fe->ct_lead_i_lo_A) {
        return fe->ct_lead_lo_rad;
    }
    if (i1_A >= fe->ct_lead_i_hi_A) {
        return fe->ct_lead_hi_rad;
    }
    double x = log(i1_A / fe->ct_lead_i_lo_A) / log(fe->ct_lead_i_hi_A / fe->ct_lead_i_lo_A);
    return fe->ct_lead_lo_rad + x * (fe->ct_lead_hi_rad - fe->ct_lead_lo_rad);
}

static void
load_seg(struct mtrd_synth_gen *g, const struct mtrd_synth_seg *seg)
{
    g->omega = SYNTH_2PI * seg->f_Hz;
    g->max_order = 1;
    for (uint8_t p = 0; p < g->phase_count; p++) {
        coef_from_wave(&g->u[p], &seg->sig->u[p], seg->u_scale, &g->max_order);
        coef_from_wave(&g->i[p], &seg->sig->i[p], seg->i_scale, &g->max_order);
        g->i1_rms[p] = wave_i1(&seg->sig->i[p], seg->i_scale);
    }
}

static bool
fe_ok(const struct mtrd_synth_frontend *fe)
{
    return fe->adc_bits != 1 && fe->adc_bits <= 32 && fe->dup_block <= MTRD_SYNTH_MAX_DUP &&
           fe->skew_s >= 0.0 && (fe->adc_bits == 0 || (fe->u_fs_V > 0.0 && fe->i_fs_A > 0.0));
}

static void
common_init(struct mtrd_synth_gen *g, const struct mtrd_synth_frontend *fe)
{
    memset(g, 0, sizeof(*g));
    if (fe != NULL) {
        g->fe = *fe;
    }
    uint64_t sm = g->fe.seed;
    for (int k = 0; k < 4; k++) {
        g->s[k] = splitmix64(&sm);
    }
}

enum mtr_err
mtrd_synth_init(struct mtrd_synth_gen *g,
                const struct mtrd_synth_model *model,
                const struct mtrd_synth_frontend *fe)
{
    if (g == NULL || model == NULL || model->seg == NULL || model->seg_count == 0 ||
        !(model->fs_Hz > 0.0) || (fe != NULL && !fe_ok(fe))) {
        return MTR_EINVAL;
    }
    uint8_t pc = model->seg[0].sig != NULL ? model->seg[0].sig->phase_count : 0;
    if (pc == 0 || pc > MTRD_SYNTH_MAX_PHASES) {
        return MTR_EINVAL;
    }
    for (size_t s = 0; s < model->seg_count; s++) {
        const struct mtrd_synth_seg *sg = &model->seg[s];
        if (sg->sample_count == 0 || !(sg->f_Hz > 0.0) || sg->sig == NULL ||
            sg->sig->phase_count != pc) {
            return MTR_EINVAL;
        }
    }
    common_init(g, fe);
    g->fs_Hz = model->fs_Hz;
    g->phase_count = pc;
    g->model = model;
    g->seg_index = 0;
    g->seg_left = model->seg[0].sample_count;
    g->theta_seg = mtrd_synth_seg_theta(model, 0);
    load_seg(g, &model->seg[0]);
    g->lead_rad = ct_lead(&g->fe, g->i1_rms[0]);
    return MTR_OK;
}

enum mtr_err
mtrd_synth_init_online(struct mtrd_synth_gen *g,
                       double fs_Hz,
                       uint8_t phase_count,
                       const struct mtrd_synth_frontend *fe)
{
    if (g == NULL || !(fs_Hz > 0.0) || phase_count == 0 || phase_count > MTRD_SYNTH_MAX_PHASES ||
        (fe != NULL && !fe_ok(fe))) {
        return MTR_EINVAL;
    }
    common_init(g, fe);
    g->fs_Hz = fs_Hz;
    g->phase_count = phase_count;
    g->seg_left = 0; /* not set yet */
    return MTR_OK;
}

/* Phase after k samples of a segment, wrapped. Shared recurrence with the truth. */
static double
theta_after(double theta, double f_Hz, uint64_t k, double fs_Hz)
{
    double th = theta + SYNTH_2PI * f_Hz * ((double)k / fs_Hz);
    th = fmod(th, SYNTH_2PI);
    return th < 0.0 ? th + SYNTH_2PI : th;
}

double
mtrd_synth_seg_theta(const struct mtrd_synth_model *model, size_t index)
{
    double th = model->theta0_rad;
    for (size_t s = 0; s < index && s < model->seg_count; s++) {
        th = theta_after(th, model->seg[s].f_Hz, model->seg[s].sample_count, model->fs_Hz);
    }
    return th;
}

enum mtr_err
mtrd_synth_set(struct mtrd_synth_gen *g, const struct mtrd_synth_seg *seg)
{
    if (g == NULL || seg == NULL || g->model != NULL || !(seg->f_Hz > 0.0) || seg->sig == NULL ||
        seg->sig->phase_count != g->phase_count) {
        return MTR_EINVAL;
    }
    if (g->seg_left != 0) {
        g->theta_seg = theta_after(g->theta_seg, g->omega / SYNTH_2PI, g->k, g->fs_Hz);
    }
    g->k = 0;
    g->seg_left = UINT64_MAX;
    load_seg(g, seg);
    g->lead_rad = ct_lead(&g->fe, g->i1_rms[0]);
    return MTR_OK;
}

/* Advance to the next model segment when the current one is used up. */
static void
next_seg(struct mtrd_synth_gen *g)
{
    const struct mtrd_synth_model *m = g->model;
    const struct mtrd_synth_seg *cur = &m->seg[g->seg_index];
    g->theta_seg = theta_after(g->theta_seg, cur->f_Hz, cur->sample_count, m->fs_Hz);
    g->seg_index++;
    g->k = 0;
    if (g->seg_index >= m->seg_count) {
        g->is_eof = true;
        g->seg_left = 0;
        return;
    }
    g->seg_left = m->seg[g->seg_index].sample_count;
    load_seg(g, &m->seg[g->seg_index]);
    g->lead_rad = ct_lead(&g->fe, g->i1_rms[0]);
}

static double
quantise(double x, double fs, uint8_t bits)
{
    if (bits == 0) {
        return x;
    }
    double half = ldexp(1.0, (int)bits - 1);
    double q = nearbyint(x / fs * half);
    if (q > half - 1.0) {
        q = half - 1.0;
    }
    if (q < -half) {
        q = -half;
    }
    return q * fs / half;
}

static double
eval_coef(const struct mtrd_synth_coef *c, const double *zr, const double *zi)
{
    double v = c->dc;
    for (uint8_t t = 0; t < c->count; t++) {
        uint8_t h = c->order[t];
        v += c->a[t] * zr[h] - c->b[t] * zi[h];
    }
    return v;
}

static void
powers(double th, uint8_t max_order, double *zr, double *zi)
{
    zr[0] = 1.0;
    zi[0] = 0.0;
    zr[1] = cos(th);
    zi[1] = sin(th);
    for (uint8_t h = 2; h <= max_order; h++) {
        zr[h] = zr[h - 1] * zr[1] - zi[h - 1] * zi[1];
        zi[h] = zr[h - 1] * zi[1] + zi[h - 1] * zr[1];
    }
}

/* One true-clock sample of every channel. */
static void
gen_one(struct mtrd_synth_gen *g, float *out)
{
    double zr[MTRD_SYNTH_MAX_ORDER + 1];
    double zi[MTRD_SYNTH_MAX_ORDER + 1];
    double wr[MTRD_SYNTH_MAX_ORDER + 1];
    double wi[MTRD_SYNTH_MAX_ORDER + 1];
    const struct mtrd_synth_frontend *fe = &g->fe;
    double th = g->theta_seg + g->omega * ((double)g->k / g->fs_Hz);
    powers(th, g->max_order, zr, zi);
    /* the current is sampled skew_s later, and the CT advances it by lead/omega */
    powers(th + g->omega * fe->skew_s + g->lead_rad, g->max_order, wr, wi);
    for (uint8_t p = 0; p < g->phase_count; p++) {
        double v = eval_coef(&g->u[p], zr, zi);
        double i = (1.0 + fe->ct_gain) * eval_coef(&g->i[p], wr, wi) + fe->xt_A_per_V * v;
        double vn = v + fe->u_offset_V[p];
        double in = i + fe->i_offset_A[p];
        if (fe->u_noise_V > 0.0) {
            vn += fe->u_noise_V * gauss(g);
        }
        if (fe->i_noise_A > 0.0) {
            in += fe->i_noise_A * gauss(g);
        }
        out[p] = (float)quantise(vn, fe->u_fs_V, fe->adc_bits);
        out[g->phase_count + p] = (float)quantise(in, fe->i_fs_A, fe->adc_bits);
    }
    g->k++;
    g->n_true++;
    if (g->seg_left != UINT64_MAX) {
        g->seg_left--;
    }
}

static void
hist_push(struct mtrd_synth_gen *g, const float *x)
{
    if (g->fe.dup_block == 0) {
        return;
    }
    size_t ch = 2u * g->phase_count;
    memcpy(g->hist[g->hist_head], x, ch * sizeof(float));
    g->hist_head = (g->hist_head + 1) % g->fe.dup_block;
    if (g->hist_count < g->fe.dup_block) {
        g->hist_count++;
    }
}

static enum mtr_err
read_dup(struct mtrd_synth_gen *g, float *x, size_t max, size_t *got, uint32_t *flags)
{
    size_t ch = 2u * g->phase_count;
    size_t n = 0;
    while (n < max && g->dup_left > 0) {
        memcpy(&x[n * ch], g->hist[g->dup_pos], ch * sizeof(float));
        g->dup_pos = (g->dup_pos + 1) % g->fe.dup_block;
        g->dup_left--;
        n++;
    }
    g->n_out += n;
    g->duplicated += n;
    *got = n;
    if (flags != NULL) {
        *flags = MTRD_SYNTH_READ_DUP;
    }
    return MTR_OK;
}

static bool
is_drop_on(const struct mtrd_synth_gen *g)
{
    return g->fe.drop_every > 0 && g->fe.drop_block > 0;
}

static bool
is_dup_on(const struct mtrd_synth_gen *g)
{
    return g->fe.dup_every > 0 && g->fe.dup_block > 0;
}

/* Drop a block when the true clock reaches the next drop point: time passes, nothing is output. */
static void
take_drop(struct mtrd_synth_gen *g)
{
    float tmp[2 * MTRD_SYNTH_MAX_PHASES];
    if (g->next_drop == 0) {
        g->next_drop = g->fe.drop_every;
    }
    if (g->n_true != g->next_drop) {
        return;
    }
    for (uint32_t k = 0; k < g->fe.drop_block && !g->is_eof; k++) {
        gen_one(g, tmp); /* the noise stream advances as if the samples had been taken */
        g->dropped++;
        if (g->model != NULL && g->seg_left == 0) {
            next_seg(g);
        }
    }
    g->next_drop += g->fe.drop_every;
    g->is_gap_pending = true;
}

enum mtr_err
mtrd_synth_read(struct mtrd_synth_gen *g, float *x, size_t max, size_t *got, uint32_t *flags)
{
    if (g == NULL || x == NULL || got == NULL || max == 0) {
        return MTR_EINVAL;
    }
    if (g->model == NULL && g->seg_left == 0) {
        return MTR_EINVAL;
    }
    *got = 0;
    if (flags != NULL) {
        *flags = 0;
    }
    if (g->dup_left > 0) {
        return read_dup(g, x, max, got, flags);
    }
    if (is_drop_on(g)) {
        take_drop(g);
    }
    if (g->is_eof) {
        return MTR_EOF;
    }
    uint64_t lim = max;
    if (is_drop_on(g) && g->next_drop - g->n_true < lim) {
        lim = g->next_drop - g->n_true;
    }
    if (is_dup_on(g)) {
        if (g->next_dup == 0) {
            g->next_dup = g->fe.dup_every;
        }
        if (g->next_dup - g->n_out < lim) {
            lim = g->next_dup - g->n_out;
        }
    }
    size_t ch = 2u * g->phase_count;
    size_t n = 0;
    while (n < lim && !g->is_eof) {
        gen_one(g, &x[n * ch]);
        hist_push(g, &x[n * ch]);
        n++;
        if (g->model != NULL && g->seg_left == 0) {
            next_seg(g);
        }
    }
    g->n_out += n;
    if (is_dup_on(g) && g->n_out == g->next_dup) {
        g->next_dup += g->fe.dup_every + g->fe.dup_block;
        if (g->hist_count == g->fe.dup_block) {
            g->dup_left = g->fe.dup_block;
            g->dup_pos = g->hist_head; /* the oldest of the last dup_block samples */
        }
    }
    *got = n;
    if (flags != NULL) {
        *flags = g->is_gap_pending ? MTRD_SYNTH_READ_GAP : 0u;
    }
    g->is_gap_pending = false;
    return n > 0 ? MTR_OK : MTR_EOF;
}
