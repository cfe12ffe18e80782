/*
 * Metrology engine set-up: configuration defaults, validation, filter and FFT
 * sizing. See include/meterd/metrology.h.
 */
#include <math.h>
#include <string.h>

#include "meterd/metrology.h"
#include "metro_int.h"

/** Sample-rate bounds accepted by mtr_metro_init(), Hz. */
#define FS_MIN_Hz          1000.0
#define FS_MAX_Hz          65536.0
/** Calibration bounds (see struct mtr_metro_phase_cal). */
#define CAL_GAIN_MAX_ppm   500000
#define CAL_PHASE_MAX_mdeg 20000
#define CAL_SKEW_MAX_ns    1000000
/** Corner of the zero-crossing low-pass, as a multiple of the nominal frequency. */
#define ZC_LP_CORNER       1.5

void
mtr_metro_config_default(struct mtr_metro_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->fs_Hz = 8000.0;
    cfg->f_nom_Hz = 50;
    cfg->net = MTR_METRO_NET_3P4W;
    cfg->u_nom_V = 230.0f;
    cfg->vt_ratio = 1.0;
    cfg->ct_ratio = 1.0;
    cfg->is_i_dc_removed = true;
    cfg->q_def = MTR_METRO_Q_FUNDAMENTAL;
}

uint8_t
mtr_metro_net_phases(enum mtr_metro_net net)
{
    switch (net) {
    case MTR_METRO_NET_1P2W:
    case MTR_METRO_NET_1BL:
        return 1;
    case MTR_METRO_NET_SPLIT:
    case MTR_METRO_NET_2BL:
        return 2;
    case MTR_METRO_NET_3P4W:
    case MTR_METRO_NET_3P3W:
    case MTR_METRO_NET_3BL:
    case MTR_METRO_NET_4BL:
        return 3;
    }
    return 0;
}

static bool
is_cal_valid(const struct mtr_metro_phase_cal *c)
{
    return c->u_gain_ppm >= -CAL_GAIN_MAX_ppm && c->u_gain_ppm <= CAL_GAIN_MAX_ppm &&
           c->i_gain_ppm >= -CAL_GAIN_MAX_ppm && c->i_gain_ppm <= CAL_GAIN_MAX_ppm &&
           c->i_phase_mdeg >= -CAL_PHASE_MAX_mdeg && c->i_phase_mdeg <= CAL_PHASE_MAX_mdeg &&
           c->i_skew_ns >= -CAL_SKEW_MAX_ns && c->i_skew_ns <= CAL_SKEW_MAX_ns;
}

static enum mtr_err
check_config(const struct mtr_metro_config *cfg)
{
    if (!(cfg->fs_Hz >= FS_MIN_Hz && cfg->fs_Hz <= FS_MAX_Hz)) {
        return MTR_EINVAL;
    }
    if (cfg->f_nom_Hz != 50 && cfg->f_nom_Hz != 60) {
        return MTR_EINVAL;
    }
    if (!(cfg->vt_ratio > 0.0) || !(cfg->ct_ratio > 0.0) || !(cfg->u_nom_V > 0.0f)) {
        return MTR_EINVAL;
    }
    if (!(cfg->p_start_W >= 0.0f) || !(cfg->q_start_var >= 0.0f)) {
        return MTR_EINVAL;
    }
    if (mtr_metro_net_phases(cfg->net) == 0) {
        return MTR_EINVAL;
    }
    if (cfg->q_def != MTR_METRO_Q_FUNDAMENTAL && cfg->q_def != MTR_METRO_Q_BUDEANU) {
        return MTR_EINVAL;
    }
    for (unsigned p = 0; p < MTR_CFG_MAX_PHASES; p++) {
        if (!is_cal_valid(&cfg->cal[p])) {
            return MTR_EINVAL;
        }
    }
    return MTR_OK;
}

/* 2-pole Butterworth low-pass by the bilinear transform; per-init work, so double. */
static void
init_lowpass(struct mtr_metro *m)
{
    double k = tan(MTR_PI * ZC_LP_CORNER * (double)m->cfg.f_nom_Hz / m->cfg.fs_Hz);
    double norm = 1.0 / (1.0 + MTR_SQRT2 * k + k * k);
    m->lp_b0 = (float)(k * k * norm);
    m->lp_a1 = (float)(2.0 * (k * k - 1.0) * norm);
    m->lp_a2 = (float)((1.0 - MTR_SQRT2 * k + k * k) * norm);
}

/* Most odd factors (3, 5) of the FFT size. */
#define FFT_ODD_MAX  MTR_METRO_FFT_ODD_MAX
/** Smallest power-of-two part of the FFT size (the FFT's last fused stages need 16). */
#define FFT_POW2_MIN 16u

/* Size 3^b 5^c * 2^a (smallest 2^a >= FFT_POW2_MIN reaching need); 0 if above the limit. */
static uint32_t
fft_size_for(uint32_t need, uint32_t odd)
{
    uint32_t p2 = FFT_POW2_MIN;
    while (odd * p2 < need && odd * p2 <= MTR_CFG_FFT_LEN / 2u) {
        p2 *= 2u;
    }
    return odd * p2 <= MTR_CFG_FFT_LEN ? odd * p2 : 0u;
}

/*
 * FFT size: the smallest 2^a 3^b 5^c (b + c <= FFT_ODD_MAX) that is at least the
 * frame's nominal sample count, so the resampling rate is at least fs and neither the
 * signal nor the kernel's images fold onto the groups; above MTR_CFG_FFT_LEN, the
 * largest size allowed (the kernel then low-passes). Nyquist stays above harmonic
 * h_max's group, h_max lowered if a small build needs it.
 */
static void
init_fft_size(struct mtr_metro *m)
{
    const uint32_t half_group = m->n_cycles / 2u;
    m->h_max = MTR_CFG_MAX_HARMONIC;
    uint32_t need = (uint32_t)ceil(m->cfg.fs_Hz * m->n_cycles / m->cfg.f_nom_Hz);
    uint32_t nyq = 2u * ((uint32_t)m->n_cycles * m->h_max + half_group + 1u);
    need = need > nyq ? need : nyq;
    uint32_t best = 0;    /* smallest size >= need */
    uint32_t largest = 0; /* largest size within the limit */
    uint32_t best_odd = 1;
    uint32_t largest_odd = 1;
    uint32_t odd3 = 1;
    for (uint32_t b = 0; b <= FFT_ODD_MAX; b++, odd3 *= 3u) {
        uint32_t odd = odd3;
        for (uint32_t c = 0; b + c <= FFT_ODD_MAX; c++, odd *= 5u) {
            uint32_t len = fft_size_for(need, odd);
            if (len == 0u) {
                continue;
            }
            if (len >= need && (best == 0u || len < best)) {
                best = len;
                best_odd = odd;
            }
            if (len > largest) {
                largest = len;
                largest_odd = odd;
            }
        }
    }
    uint32_t len = best != 0u ? best : largest;
    uint32_t odd = best != 0u ? best_odd : largest_odd;
    while (len / 2u <= (uint32_t)m->n_cycles * m->h_max + half_group) {
        m->h_max--; /* a small build analyses fewer harmonics */
    }
    m->fft_len = len;
    m->fft_pow2 = len / odd;
    m->fft_odd_count = 0;
    for (uint32_t r = 3; r <= 5u; r += 2u) {
        while (odd % r == 0u) {
            m->fft_odd[m->fft_odd_count++] = (uint8_t)r;
            odd /= r;
        }
    }
}

enum mtr_err
mtr_metro_init(struct mtr_metro *m, const struct mtr_metro_config *cfg)
{
    if (m == NULL || cfg == NULL) {
        return MTR_EINVAL;
    }
    enum mtr_err err = check_config(cfg);
    if (err != MTR_OK) {
        return err;
    }
    double f_min = cfg->f_nom_Hz == 50 ? MTR_METRO_F_MIN_50_Hz : MTR_METRO_F_MIN_60_Hz;
    uint8_t n_cycles = cfg->f_nom_Hz == 50 ? 10 : 12;
    double n_timeout = ceil(cfg->fs_Hz * n_cycles / f_min) + 2.0;
    /* the first frame also holds the filter's settling cycle and the part before the
     * first crossing: two more cycles */
    double n_first_timeout = ceil(cfg->fs_Hz * (n_cycles + 2) / f_min) + 2.0;
    if (n_first_timeout > (double)MTR_CFG_MAX_FRAME_SAMPLES) {
        return MTR_EINVAL;
    }
    for (unsigned p = 0; p < MTR_CFG_MAX_PHASES; p++) {
        double tau_s = fabs((double)cfg->cal[p].i_skew_ns) * 1e-9 +
                       fabs((double)cfg->cal[p].i_phase_mdeg) * 1e-3 / (360.0 * f_min);
        if (tau_s * cfg->fs_Hz + 3.0 > (double)MTR_CFG_MAX_DELAY_SAMPLES) {
            return MTR_EINVAL; /* the correction would need more history than is kept */
        }
    }
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->phase_count = mtr_metro_net_phases(cfg->net);
    m->chan_count = (uint8_t)(2u * m->phase_count);
    m->n_cycles = n_cycles;
    m->n_nom = (uint32_t)lround(cfg->fs_Hz * n_cycles / cfg->f_nom_Hz);
    m->n_timeout = (uint32_t)n_timeout;
    m->n_first_timeout = (uint32_t)n_first_timeout;
    /* crossings count from one nominal cycle after start: the low-pass has settled */
    m->n_settle = (uint32_t)lround(cfg->fs_Hz / cfg->f_nom_Hz);
    m->zc_start = -1.0;
    m->zc_last = -1.0;
    m->f10_first = -1.0;
    m->f_last_Hz = (float)cfg->f_nom_Hz;
    /* Until a frame has been measured, arm on 5 % of the nominal peak (input units). */
    m->zc_arm_level = (float)(0.05 * MTR_SQRT2 * (double)cfg->u_nom_V / cfg->vt_ratio);
    m->pending_flags = MTR_METRO_FLAG_FIRST;
    init_lowpass(m);
    init_fft_size(m);
    mtr_metro_fft_init(m);
    return MTR_OK;
}
