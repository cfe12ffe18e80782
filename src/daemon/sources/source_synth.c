/*
 * Synthetic sample source: the meter's embedded default input (DESIGN.md).
 *
 * Scenarios:
 * - "household" (default): a three-phase 230 V / 50 Hz home. The voltage has a
 *   little 3rd and 5th harmonic and sags with the load through a 0.25 ohm source
 *   impedance; the frequency wanders by a seeded random walk within +-50 mHz.
 *   Appliances switch on a time-of-day schedule driven by meter time (sample
 *   count from the start time of day): standby, fridge compressor (PF 0.6,
 *   cycling), kettle, oven (thermostat), heat pump, switched-mode loads with
 *   current harmonics, LED lighting, an 11 kW EV charger on L1..L3 in the
 *   evening, and PV export at midday (current in phase opposition, a sin^2 bell
 *   from 7 h to 19 h peaking at -5 kW, with seeded clouds). The schedule is
 *   re-evaluated once per second of meter time, at a sample boundary, and the
 *   generator keeps the phase continuous.
 * - "sine": 230 V, 5 A, current lagging 30 degrees, 50 Hz, on 1..3 phases.
 *
 * Everything is deterministic for a seed and a start time of day.
 */
#include "source.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synth.h"

#define HH_PI          3.14159265358979323846
#define HH_DAY_S       86400.0
#define HH_UN_V        230.0
#define HH_Z_OHM       0.25 /* source impedance seen by the in-phase current */
#define HH_FS_NOM_HZ   8000.0
#define HH_U_FS_V      465.0 /* 230 V * sqrt2 at 70 % FS */
#define HH_I_FS_A      100.0 /* 63 A fuse * sqrt2 plus crest-factor headroom */
#define HH_ORDERS      8     /* current orders kept: 1,3,5,...,15 */
#define HH_F_WANDER_HZ 0.05

/* ---- deterministic randomness keyed by (seed, day, id) ---- */

static uint64_t
hh_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Uniform in [0, 1) from a key. */
static double
hh_rnd(uint64_t seed, uint64_t a, uint64_t b)
{
    return (double)(hh_mix(seed ^ hh_mix(a * 1000003ULL + b)) >> 11) * 0x1.0p-53;
}

/* ---- appliance model ---- */

/* Appliance characters (enum mtrd_synth_hh_kind in synth.h). */
#define HH_RES   MTRD_SYNTH_HH_RES
#define HH_MOTOR MTRD_SYNTH_HH_MOTOR
#define HH_SMPS  MTRD_SYNTH_HH_SMPS
#define HH_EV    MTRD_SYNTH_HH_EV
#define HH_PV    MTRD_SYNTH_HH_PV

/* The per-phase accumulator of current phasors is struct mtrd_synth_hh_phasors (synth.h). */
_Static_assert(HH_ORDERS == MTRD_SYNTH_HH_ORDERS, "household current orders");

/* Relative harmonic current of a rectifier load (IEC 61000-3-2-like spectrum). */
static const double hh_smps_rel[HH_ORDERS] = {1.0, 0.80, 0.55, 0.32, 0.16, 0.08, 0.05, 0.03};
static const double hh_ev_rel[HH_ORDERS] = {1.0, 0.01, 0.03, 0.02, 0.0, 0.0, 0.0, 0.0};
static const double hh_motor_rel[HH_ORDERS] = {1.0, 0.04, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0};

static void
hh_add(struct mtrd_synth_hh_phasors *acc,
       int phase,
       enum mtrd_synth_hh_kind kind,
       double p_W,
       double pf)
{
    static const double alpha[3] = {0.0, -2.0 * HH_PI / 3.0, 2.0 * HH_PI / 3.0};
    struct mtrd_synth_hh_phasors *a = &acc[phase];
    double i1 = fabs(p_W) / (HH_UN_V * pf);
    double phi = acos(pf); /* current lag */
    const double *rel = NULL;
    double beta1 = alpha[phase] - phi;
    switch (kind) {
    case HH_RES:
        break;
    case HH_MOTOR:
        rel = hh_motor_rel;
        break;
    case HH_SMPS:
        rel = hh_smps_rel;
        beta1 = alpha[phase] + phi; /* capacitive input filter: leading */
        break;
    case HH_EV:
        rel = hh_ev_rel;
        break;
    case HH_PV:
        rel = hh_ev_rel;
        beta1 = alpha[phase] + HH_PI; /* export: phase opposition */
        break;
    }
    a->re[0] += i1 * cos(beta1);
    a->im[0] += i1 * sin(beta1);
    a->p_W += p_W;
    if (rel == NULL) {
        return;
    }
    for (int o = 1; o < HH_ORDERS; o++) {
        int h = 2 * o + 1;
        /* pulses centred on the voltage peaks: every order in phase with h*alpha */
        double b = (double)h * alpha[phase] + (kind == HH_PV ? HH_PI : 0.0);
        a->re[o] += rel[o] * i1 * cos(b);
        a->im[o] += rel[o] * i1 * sin(b);
    }
}

/* Append a switched load to the schedule (at most MTRD_SYNTH_HH_MAX_LOADS: see synth.h). */
static void
hh_put(
    struct mtrd_synth_hh_loads *l, int phase, enum mtrd_synth_hh_kind kind, double p_W, double pf)
{
    if (l->count >= MTRD_SYNTH_HH_MAX_LOADS) {
        return;
    }
    struct mtrd_synth_hh_load *ld = &l->ld[l->count++];
    ld->kind = kind;
    ld->phase = (uint8_t)phase;
    ld->p_W = p_W;
    ld->pf_ratio = pf;
}

/* Is a periodic cycle "on": period and on time in seconds, offset from the seed. */
static bool
hh_cycle(double t, double period_s, double on_s, double offset_s)
{
    double x = fmod(t + offset_s, period_s);
    return x < on_s;
}

static bool
hh_within(double tod_h, double from_h, double to_h)
{
    return tod_h >= from_h && tod_h < to_h;
}

static void
hh_kettle(uint64_t seed, uint64_t day, double tod_h, struct mtrd_synth_hh_loads *acc)
{
    static const double at_h[] = {7.1, 10.5, 13.0, 16.25, 21.0};
    for (unsigned k = 0; k < sizeof(at_h) / sizeof(at_h[0]); k++) {
        double start = at_h[k] + (hh_rnd(seed, day, 10 + k) - 0.5) * 0.6;
        if (hh_within(tod_h, start, start + 0.05)) { /* 3 minutes */
            hh_put(acc, 0, HH_RES, 2000.0, 1.0);
        }
    }
}

static void
hh_evening(uint64_t seed, uint64_t day, double t, double tod_h, struct mtrd_synth_hh_loads *acc)
{
    /* oven on L2: 17:45-18:45, heat-up 10 min then thermostat 90 s on / 60 s off */
    double oven0 = 17.75 + (hh_rnd(seed, day, 20) - 0.5) * 0.5;
    if (hh_within(tod_h, oven0, oven0 + 1.0) &&
        (tod_h < oven0 + 1.0 / 6.0 || hh_cycle(t, 150.0, 90.0, 0.0))) {
        hh_put(acc, 1, HH_RES, 3000.0, 1.0);
    }
    /* EV charger, 3 x 16 A, from about 18:30 for 3 hours */
    double ev0 = 18.5 + hh_rnd(seed, day, 21) * 0.75;
    if (hh_within(tod_h, ev0, ev0 + 3.0)) {
        for (int p = 0; p < 3; p++) {
            hh_put(acc, p, HH_EV, 3680.0, 0.99);
        }
    }
    /* TV / PC on L2, LED lighting on L1 */
    if (hh_within(tod_h, 17.0, 23.5) || hh_within(tod_h, 8.0, 12.0)) {
        hh_put(acc, 1, HH_SMPS, 250.0, 0.95);
    }
    if (hh_within(tod_h, 18.0, 23.5) || hh_within(tod_h, 6.5, 7.5)) {
        hh_put(acc, 0, HH_SMPS, 80.0, 0.9);
    }
}

/* PV: sin^2 bell 7 h..19 h, -5 kW peak, clouds varying every 5 minutes. */
static void
hh_pv(uint64_t seed, uint64_t day, double t, double tod_h, struct mtrd_synth_hh_loads *acc)
{
    if (!hh_within(tod_h, 7.0, 19.0)) {
        return;
    }
    double s = sin(HH_PI * (tod_h - 7.0) / 12.0);
    double slot = floor(t / 300.0);
    double x = t / 300.0 - slot;
    double c0 = hh_rnd(seed, day, 1000 + (uint64_t)slot);
    double c1 = hh_rnd(seed, day, 1001 + (uint64_t)slot);
    double cloud = 0.25 * (c0 + (c1 - c0) * x); /* 0..25 % reduction, continuous */
    double p = -5000.0 * s * s * (1.0 - cloud);
    for (int ph = 0; ph < 3; ph++) {
        hh_put(acc, ph, HH_PV, p / 3.0, 1.0);
    }
}

void
mtrd_synth_hh_schedule(uint64_t seed, double t, struct mtrd_synth_hh_loads *acc)
{
    acc->count = 0;
    double tt = t < 0.0 ? 0.0 : t;
    uint64_t day = (uint64_t)(tt / HH_DAY_S);
    double tod_h = fmod(tt, HH_DAY_S) / 3600.0;
    for (int p = 0; p < 3; p++) {
        hh_put(acc, p, HH_SMPS, 50.0, 0.9); /* standby: 150 W in all */
    }
    /* fridge compressor on L3: 12 min on every 32 min */
    if (hh_cycle(tt, 1920.0, 720.0, hh_rnd(seed, 0, 1) * 1920.0)) {
        hh_put(acc, 2, HH_MOTOR, 120.0, 0.6);
    }
    /* heat pump, 3-phase: mornings and evenings, 20 min on / 10 min off */
    if ((hh_within(tod_h, 6.0, 9.0) || hh_within(tod_h, 16.0, 23.0)) &&
        hh_cycle(tt, 1800.0, 1200.0, hh_rnd(seed, day, 2) * 1800.0)) {
        for (int p = 0; p < 3; p++) {
            hh_put(acc, p, HH_MOTOR, 600.0, 0.92);
        }
    }
    hh_kettle(seed, day, tod_h, acc);
    hh_evening(seed, day, tt, tod_h, acc);
    hh_pv(seed, day, tt, tod_h, acc);
}

void
mtrd_synth_hh_add(struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES],
                  const struct mtrd_synth_hh_load *ld)
{
    hh_add(acc, ld->phase, ld->kind, ld->p_W, ld->pf_ratio);
}

static void
hh_loads(uint64_t seed, double t, struct mtrd_synth_hh_phasors acc[3])
{
    struct mtrd_synth_hh_loads l;
    mtrd_synth_hh_schedule(seed, t, &l);
    memset(acc, 0, 3 * sizeof(*acc));
    for (uint8_t k = 0; k < l.count; k++) {
        mtrd_synth_hh_add(acc, &l.ld[k]);
    }
}

void
mtrd_synth_hh_load(uint64_t seed, double t_s, double p_W[MTRD_SYNTH_MAX_PHASES])
{
    struct mtrd_synth_hh_phasors acc[3];
    hh_loads(seed, t_s, acc);
    for (int p = 0; p < 3; p++) {
        p_W[p] = acc[p].p_W;
    }
}

double
mtrd_synth_hh_u1(const struct mtrd_synth_hh_phasors *acc, uint8_t phase)
{
    static const double alpha[3] = {0.0, -2.0 * HH_PI / 3.0, 2.0 * HH_PI / 3.0};
    unsigned p = phase % 3u;
    /* voltage drop by the in-phase fundamental current */
    double i_inphase = acc->re[0] * cos(alpha[p]) + acc->im[0] * sin(alpha[p]);
    return 232.0 - HH_Z_OHM * i_inphase;
}

enum mtr_err
mtrd_synth_hh_voltage(struct mtrd_synth_wave *u, uint8_t phase, double u1_V)
{
    static const double alpha[3] = {0.0, -2.0 * HH_PI / 3.0, 2.0 * HH_PI / 3.0};
    if (u == NULL || phase >= 3) {
        return MTR_EINVAL;
    }
    mtrd_synth_wave_sine(u, u1_V, alpha[phase]);
    enum mtr_err e = mtrd_synth_wave_add(u, 3, 0.010 * u1_V, 3.0 * alpha[phase]);
    if (e == MTR_OK) {
        e = mtrd_synth_wave_add(u, 5, 0.020 * u1_V, 5.0 * alpha[phase] + HH_PI);
    }
    return e;
}

/* Build the signal for meter time t (seconds since midnight of day 0). */
static enum mtr_err
hh_signal(struct mtrd_synth_hh *hh, double t)
{
    struct mtrd_synth_hh_phasors acc[3];
    hh_loads(hh->par.seed, t, acc);
    memset(&hh->sig, 0, sizeof(hh->sig));
    hh->sig.phase_count = 3;
    for (int p = 0; p < 3; p++) {
        double u1 = mtrd_synth_hh_u1(&acc[p], (uint8_t)p);
        enum mtr_err e = mtrd_synth_hh_voltage(&hh->sig.u[p], (uint8_t)p, u1);
        struct mtrd_synth_wave *i = &hh->sig.i[p];
        for (int o = 0; o < HH_ORDERS; o++) {
            double rms = hypot(acc[p].re[o], acc[p].im[o]);
            if (rms > 0.0 && e == MTR_OK) {
                /* at most HH_ORDERS (8) of MTRD_SYNTH_MAX_TERMS (16) */
                e = mtrd_synth_wave_add(i, (uint8_t)(2 * o + 1), rms,
                                        atan2(acc[p].im[o], acc[p].re[o]));
            }
        }
        if (e != MTR_OK) {
            return e;
        }
    }
    return MTR_OK;
}

/* The simulated front end of both scenarios: 24-bit ADC, 1 LSB of noise, no impairments. */
static struct mtrd_synth_frontend
default_frontend(uint64_t seed)
{
    struct mtrd_synth_frontend fe;
    memset(&fe, 0, sizeof(fe));
    fe.adc_bits = 24;
    fe.u_fs_V = HH_U_FS_V;
    fe.i_fs_A = HH_I_FS_A;
    fe.u_noise_V = mtrd_synth_lsb(HH_U_FS_V, 24);
    fe.i_noise_A = mtrd_synth_lsb(HH_I_FS_A, 24);
    fe.seed = seed;
    return fe;
}

enum mtr_err
mtrd_synth_hh_init(struct mtrd_synth_hh *hh, const struct mtrd_synth_household *par)
{
    if (hh == NULL || par == NULL || !(par->fs_Hz >= 1000.0) || !(par->start_tod_s >= 0.0) ||
        !(par->start_tod_s <= HH_DAY_S)) {
        return MTR_EINVAL;
    }
    memset(hh, 0, sizeof(*hh));
    hh->par = *par;
    struct mtrd_synth_frontend fe = default_frontend(par->seed);
    enum mtr_err e = mtrd_synth_init_online(&hh->gen, par->fs_Hz, 3, &fe);
    if (e != MTR_OK) {
        return e;
    }
    hh->f_Hz = 50.0;
    hh->rng = mtrd_synth_hh_f_rng(par->seed);
    hh->next_update = 0;
    return MTR_OK;
}

uint64_t
mtrd_synth_hh_f_rng(uint64_t seed)
{
    return seed ^ 0x5eed5eedULL;
}

double
mtrd_synth_hh_f_step(double f_Hz, double f_nom_Hz, uint64_t *rng)
{
    /* bounded random walk, 2 mHz steps per second */
    double r = (double)(hh_mix((*rng)++) >> 11) * 0x1.0p-53;
    double f = f_Hz + (r - 0.5) * 0.004;
    if (f > f_nom_Hz + HH_F_WANDER_HZ) {
        f = f_nom_Hz + HH_F_WANDER_HZ;
    }
    if (f < f_nom_Hz - HH_F_WANDER_HZ) {
        f = f_nom_Hz - HH_F_WANDER_HZ;
    }
    return f;
}

static enum mtr_err
hh_update(struct mtrd_synth_hh *hh)
{
    double t = hh->par.start_tod_s + (double)hh->n / hh->par.fs_Hz;
    hh->f_Hz = mtrd_synth_hh_f_step(hh->f_Hz, 50.0, &hh->rng);
    enum mtr_err e = hh_signal(hh, t);
    if (e != MTR_OK) {
        return e;
    }
    struct mtrd_synth_seg seg = {
        .sample_count = 1, .f_Hz = hh->f_Hz, .sig = &hh->sig, .u_scale = 1.0, .i_scale = 1.0};
    uint64_t step = (uint64_t)llround(hh->par.fs_Hz);
    hh->next_update = hh->n + step;
    return mtrd_synth_set(&hh->gen, &seg);
}

enum mtr_err
mtrd_synth_hh_read(struct mtrd_synth_hh *hh, float *x, size_t max, size_t *got)
{
    if (hh == NULL || x == NULL || got == NULL || max == 0) {
        return MTR_EINVAL;
    }
    if (hh->n == hh->next_update) {
        enum mtr_err e = hh_update(hh);
        if (e != MTR_OK) {
            return e;
        }
    }
    uint64_t left = hh->next_update - hh->n;
    size_t want = left < max ? (size_t)left : max;
    enum mtr_err e = mtrd_synth_read(&hh->gen, x, want, got, NULL);
    if (e == MTR_OK) {
        hh->n += *got;
    }
    return e;
}

/* ---- the source ---- */

enum synth_kind {
    SYNTH_HOUSEHOLD = 0,
    SYNTH_SINE = 1,
};

struct synth_src {
    struct mtrd_source base; /* first: the source API casts */
    enum synth_kind kind;
    struct mtrd_synth_hh hh;   /* household */
    struct mtrd_synth_gen gen; /* sine */
    struct mtrd_synth_signal sig;
};

static enum mtr_err
synth_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    struct synth_src *s = (struct synth_src *)src;
    enum mtr_err e;
    if (s->kind == SYNTH_HOUSEHOLD) {
        e = mtrd_synth_hh_read(&s->hh, x, max_samples, got);
    } else {
        e = mtrd_synth_read(&s->gen, x, max_samples, got, NULL);
    }
    if (e != MTR_OK && e != MTR_EOF) {
        (void)snprintf(src->err, sizeof(src->err), "synth: generator error %d", (int)e);
    }
    return e;
}

static void
synth_close(struct mtrd_source *src)
{
    free(src);
}

static const struct mtrd_source_ops synth_ops = {
    .read = synth_read,
    .close = synth_close,
};

static void
synth_err(char *err, size_t err_cap, const char *fmt, ...)
{
    if (err == NULL || err_cap == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err, err_cap, fmt, ap); /* truncation is acceptable for a message */
    va_end(ap);
}

static enum mtr_err
synth_open_sine(struct synth_src *s, double fs, uint8_t pc, uint64_t seed)
{
    static const double alpha[3] = {0.0, -2.0 * HH_PI / 3.0, 2.0 * HH_PI / 3.0};
    s->sig.phase_count = pc;
    for (uint8_t p = 0; p < pc; p++) {
        mtrd_synth_wave_sine(&s->sig.u[p], HH_UN_V, alpha[p]);
        mtrd_synth_wave_sine(&s->sig.i[p], 5.0, alpha[p] - HH_PI / 6.0);
    }
    struct mtrd_synth_frontend fe = default_frontend(seed);
    enum mtr_err e = mtrd_synth_init_online(&s->gen, fs, pc, &fe);
    if (e != MTR_OK) {
        return e;
    }
    struct mtrd_synth_seg seg = {
        .sample_count = 1, .f_Hz = 50.0, .sig = &s->sig, .u_scale = 1.0, .i_scale = 1.0};
    return mtrd_synth_set(&s->gen, &seg);
}

/* Wall-clock start: meter time and the household's time of day begin now. */
static void
synth_now(int64_t *t0_us, double *tod_s)
{
    struct timespec ts;
    *t0_us = 0;
    *tod_s = 0.0;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return;
    }
    *t0_us = (int64_t)ts.tv_sec * 1000000;
    struct tm lt;
    if (localtime_r(&ts.tv_sec, &lt) != NULL) {
        *tod_s = (double)(lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec);
    }
}

enum mtr_err
mtrd_synth_open(const struct mtrd_source_spec *spec,
                struct mtrd_source **out,
                char *err,
                size_t err_cap)
{
    if (spec == NULL || out == NULL) {
        synth_err(err, err_cap, "synth: no specification");
        return MTR_EINVAL;
    }
    const char *name = spec->synth_scenario != NULL && spec->synth_scenario[0] != '\0'
                           ? spec->synth_scenario
                           : "household";
    enum synth_kind kind;
    if (strcmp(name, "household") == 0) {
        kind = SYNTH_HOUSEHOLD;
    } else if (strcmp(name, "sine") == 0) {
        kind = SYNTH_SINE;
    } else {
        synth_err(err, err_cap, "synth: unknown scenario \"%s\" (household, sine)", name);
        return MTR_EINVAL;
    }
    double fs = spec->fs_Hz > 0.0 ? spec->fs_Hz : HH_FS_NOM_HZ;
    if (fs < 1000.0 || fs > 65536.0) {
        synth_err(err, err_cap, "synth: sample rate %.1f Hz outside 1000..65536", fs);
        return MTR_EINVAL;
    }
    uint8_t pc = spec->phase_count == 0 ? 3 : spec->phase_count;
    if (pc > 3 || (kind == SYNTH_HOUSEHOLD && pc != 3)) {
        synth_err(err, err_cap, "synth: scenario \"%s\" cannot give %u phases", name, (unsigned)pc);
        return MTR_EINVAL;
    }
    struct synth_src *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        synth_err(err, err_cap, "synth: out of memory");
        return MTR_ENOMEM;
    }
    s->base.ops = &synth_ops;
    s->kind = kind;
    int64_t t0_us;
    double tod_s;
    synth_now(&t0_us, &tod_s);
    enum mtr_err e;
    if (kind == SYNTH_HOUSEHOLD) {
        struct mtrd_synth_household par = {
            .start_tod_s = tod_s, .seed = spec->synth_seed, .fs_Hz = fs};
        e = mtrd_synth_hh_init(&s->hh, &par);
    } else {
        e = synth_open_sine(s, fs, pc, spec->synth_seed);
    }
    if (e != MTR_OK) {
        synth_err(err, err_cap, "synth: cannot start scenario \"%s\": %s", name, mtr_strerror(e));
        free(s);
        return e;
    }
    struct mtrd_source_info *in = &s->base.info;
    in->fs_Hz = fs;
    in->phase_count = pc;
    in->sample_count = 0;
    in->t0_us = t0_us;
    in->f_nom_Hz = 50;
    for (uint8_t p = 0; p < pc; p++) {
        (void)snprintf(in->u_name[p], sizeof(in->u_name[p]), "U%u", (unsigned)(p + 1));
        (void)snprintf(in->i_name[p], sizeof(in->i_name[p]), "I%u", (unsigned)(p + 1));
    }
    (void)snprintf(in->desc, sizeof(in->desc),
                   "synthetic \"%s\", %u phases, %.0f S/s, seed %llu, endless", name, (unsigned)pc,
                   fs, (unsigned long long)spec->synth_seed);
    *out = &s->base;
    return MTR_OK;
}
