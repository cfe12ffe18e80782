/*
 * The engine's sample loop: de-interleaves samples into the frame buffers and
 * tracks the fundamental on the reference voltage by low-passed, hysteretic,
 * linearly interpolated positive zero crossings (IEC 61000-4-30 5.1 attenuates
 * harmonics before counting cycles). A frame closes at the crossing that ends
 * its 10th (50 Hz) or 12th (60 Hz) cycle, so frames are gapless and
 * cycle-synchronous (IEC 61000-4-30 5.2). The same crossings give the 10-s
 * frequency: integral cycles inside each 10-s interval of meter time divided by
 * their cumulative duration; the cycle straddling a boundary is discarded.
 */
#include <math.h>
#include <string.h>

#include "meterd/metrology.h"
#include "metro_int.h"

/** Length of the IEC 61000-4-30 frequency interval, seconds. */
#define F10_INTERVAL_s 10.0

static void
f10_on_crossing(struct mtr_metro *m, double pos)
{
    uint64_t idx = (uint64_t)(pos / m->cfg.fs_Hz / F10_INTERVAL_s);
    if (m->f10_first >= 0.0 && idx == m->f10_interval) {
        m->f10_cycles++;
        m->f10_last = pos;
        return;
    }
    if (m->f10_first >= 0.0 && m->f10_cycles > 0 && m->f10_last > m->f10_first) {
        m->f10_Hz = (float)((double)m->f10_cycles * m->cfg.fs_Hz / (m->f10_last - m->f10_first));
        m->f10_is_new = true;
    }
    m->f10_interval = idx;
    m->f10_first = pos;
    m->f10_last = pos;
    m->f10_cycles = 0;
}

/* Forget synchronisation (gap, change of reference phase). */
static void
zc_reset(struct mtr_metro *m)
{
    m->zc_start = -1.0;
    m->zc_last = -1.0;
    m->cycles = 0;
    m->zc_armed = false;
}

/*
 * After a frame: follow the first phase whose voltage is present, and set the
 * crossing hysteresis to 10 % of its peak (5 % of the nominal peak when no phase
 * is present, so noise on a dead input never counts as cycles).
 */
static void
update_reference(struct mtr_metro *m, const struct mtr_metro_frame *frame)
{
    uint8_t ref = m->ref_phase;
    bool is_any = false;
    for (uint8_t p = 0; p < m->phase_count; p++) {
        if (frame->ph[p].is_present) {
            ref = p;
            is_any = true;
            break;
        }
    }
    if (ref != m->ref_phase) {
        m->ref_phase = ref;
        m->lp_x1 = m->lp_x2 = m->lp_y1 = m->lp_y2 = 0.0f;
        zc_reset(m);
    }
    if (is_any) {
        m->zc_arm_level = (float)(0.1 * MTR_SQRT2) * m->ref_rms;
    } else {
        m->zc_arm_level = (float)(0.05 * MTR_SQRT2 * (double)m->cfg.u_nom_V / m->cfg.vt_ratio);
    }
}

/*
 * Filter one reference sample and look for a positive crossing between the
 * previous sample (absolute index sample_index - 1) and this one.
 * Returns true and the absolute crossing position when one is found.
 */
static bool
zc_step(struct mtr_metro *m, float v, double *pos)
{
    /* the y1 term last: the sample-to-sample dependency is one multiply and one
     * subtraction (scan_chans() evaluates the same expression) */
    float y =
        (m->lp_b0 * (v + 2.0f * m->lp_x1 + m->lp_x2) - m->lp_a2 * m->lp_y2) - m->lp_a1 * m->lp_y1;
    float y_prev = m->lp_y1;
    m->lp_x2 = m->lp_x1;
    m->lp_x1 = v;
    m->lp_y2 = m->lp_y1;
    m->lp_y1 = y;
    if (y < -m->zc_arm_level) {
        m->zc_armed = true;
        return false;
    }
    if (!m->zc_armed || y_prev >= 0.0f || y < 0.0f || m->sample_index < m->n_settle) {
        return false; /* (the low-pass settles during the first cycle after start) */
    }
    m->zc_armed = false;
    double frac = (double)y_prev / ((double)y_prev - (double)y);
    *pos = (double)(m->sample_index - 1u) + frac;
    return true;
}

/* Close the frame of m->n samples; the current input sample is not part of it. */
static void
close_frame(struct mtr_metro *m, bool is_synced, struct mtr_metro_frame *frame)
{
    double len_cycles = 0.0;
    float f_Hz = m->f_last_Hz;
    uint32_t flags = m->pending_flags;
    if (m->zc_start >= 0.0 && m->zc_last > m->zc_start && m->cycles > 0) {
        f_Hz = (float)((double)m->cycles * m->cfg.fs_Hz / (m->zc_last - m->zc_start));
        if (is_synced) {
            len_cycles = m->zc_last - m->zc_start;
        }
        m->f_last_Hz = f_Hz;
    } else {
        flags |= MTR_METRO_FLAG_F_INVALID;
    }
    if (m->f10_is_new) {
        flags |= MTR_METRO_FLAG_F10_NEW;
        m->f10_is_new = false;
    }
    mtr_metro_process(m, len_cycles, frame);
    frame->f_Hz = f_Hz;
    frame->f10_Hz = m->f10_Hz;
    frame->flags |= flags;
    m->pending_flags = 0;
    if (is_synced) {
        m->zc_start = m->zc_last;
        m->cycles = 0;
    } else {
        zc_reset(m);
    }
    update_reference(m, frame);
}

static void
store_sample(struct mtr_metro *m, const float *xs)
{
    for (unsigned c = 0; c < m->chan_count; c++) {
        mtr_metro_x(m, c)[m->n] = xs[c];
    }
    m->n++;
    m->sample_index++;
}

/*
 * Append count samples of x ([count][chans]) to the frame buffers. Written out per
 * channel count so every channel's store stream stays in a register.
 */
static void
deinterleave(struct mtr_metro *m, const float *x, size_t count, unsigned chans)
{
    const uint32_t n0 = m->n;
    if (chans == 6u) {
        float *restrict d0 = mtr_metro_x(m, 0) + n0;
        float *restrict d1 = mtr_metro_x(m, 1) + n0;
        float *restrict d2 = mtr_metro_x(m, 2) + n0;
        float *restrict d3 = mtr_metro_x(m, 3) + n0;
        float *restrict d4 = mtr_metro_x(m, 4) + n0;
        float *restrict d5 = mtr_metro_x(m, 5) + n0;
        for (size_t k = 0; k < count; k++) {
            const float *xs = &x[6u * k];
            d0[k] = xs[0];
            d1[k] = xs[1];
            d2[k] = xs[2];
            d3[k] = xs[3];
            d4[k] = xs[4];
            d5[k] = xs[5];
        }
        return;
    }
    if (chans == 4u) {
        float *restrict d0 = mtr_metro_x(m, 0) + n0;
        float *restrict d1 = mtr_metro_x(m, 1) + n0;
        float *restrict d2 = mtr_metro_x(m, 2) + n0;
        float *restrict d3 = mtr_metro_x(m, 3) + n0;
        for (size_t k = 0; k < count; k++) {
            const float *xs = &x[4u * k];
            d0[k] = xs[0];
            d1[k] = xs[1];
            d2[k] = xs[2];
            d3[k] = xs[3];
        }
        return;
    }
    for (unsigned c = 0; c < chans; c++) {
        float *restrict d = mtr_metro_x(m, c) + n0;
        for (size_t k = 0; k < count; k++) {
            d[k] = x[k * chans + c];
        }
    }
}

/*
 * The fast path of the sample loop, in two passes over the chunk: first the
 * reference channel alone through the filter and the arm logic, with the filter
 * state in locals, to find how many samples pass before one that completes a
 * positive crossing or meets the time-out; then those samples de-interleaved into
 * the frame buffers in one block. The stopping sample is left to the exact path
 * (zc_step), which then computes the same filter output. Returns the samples
 * consumed.
 */
MTR_METRO_NO_SLP static inline size_t
scan_chans(struct mtr_metro *m, const float *x, size_t count, const unsigned chans)
{
    const float dc = m->dc[m->ref_phase];
    const float b0 = m->lp_b0;
    const float a1 = m->lp_a1;
    const float a2 = m->lp_a2;
    const float arm = m->zc_arm_level;
    const uint32_t limit = m->frame_seq == 0 ? m->n_first_timeout : m->n_timeout;
    const uint64_t settle = m->n_settle;
    const uint64_t first = m->sample_index;
    const float *xr = &x[m->ref_phase];
    float x1 = m->lp_x1;
    float x2 = m->lp_x2;
    float y1 = m->lp_y1;
    float y2 = m->lp_y2;
    bool is_armed = m->zc_armed;
    const uint32_t n0 = m->n;
    size_t end = n0 < limit ? (size_t)(limit - n0) : 0u;
    if (end > count) {
        end = count;
    }
    const float neg_arm = -arm;
    bool is_cross = false;
    size_t s = 0;
    /* two samples a pass, the state's roles swapped instead of copied */
    for (; s + 2u <= end; s += 2u) {
        float v = xr[s * chans] - dc;
        float y = (b0 * (v + 2.0f * x1 + x2) - a2 * y2) - a1 * y1;
        if (is_armed && y1 < 0.0f && y >= 0.0f && first + s >= settle) {
            is_cross = true; /* a crossing: the exact path takes this sample */
            break;
        }
        is_armed = is_armed || y < neg_arm;
        float v2 = xr[(s + 1u) * chans] - dc;
        float y2n = (b0 * (v2 + 2.0f * v + x1) - a2 * y1) - a1 * y;
        if (is_armed && y < 0.0f && y2n >= 0.0f && first + s + 1u >= settle) {
            x2 = x1;
            x1 = v;
            y2 = y1;
            y1 = y;
            s++;
            is_cross = true;
            break;
        }
        is_armed = is_armed || y2n < neg_arm;
        x2 = v;
        x1 = v2;
        y2 = y;
        y1 = y2n;
    }
    if (!is_cross && s + 1u == end) {
        float v = xr[s * chans] - dc;
        float y = (b0 * (v + 2.0f * x1 + x2) - a2 * y2) - a1 * y1;
        if (!(is_armed && y1 < 0.0f && y >= 0.0f && first + s >= settle)) {
            x2 = x1;
            x1 = v;
            y2 = y1;
            y1 = y;
            is_armed = is_armed || y < neg_arm;
            s++;
        }
    }
    m->lp_x1 = x1;
    m->lp_x2 = x2;
    m->lp_y1 = y1;
    m->lp_y2 = y2;
    m->zc_armed = is_armed;
    deinterleave(m, x, s, chans);
    m->n = n0 + (uint32_t)s;
    m->sample_index += s;
    return s;
}

/* scan_chans() with the channel count as a constant, so the de-interleave unrolls. */
MTR_METRO_NO_SLP static size_t
scan(struct mtr_metro *m, const float *x, size_t count)
{
    switch (m->chan_count) {
    case 6:
        return scan_chans(m, x, count, 6u);
    case 4:
        return scan_chans(m, x, count, 4u);
    case 2:
        return scan_chans(m, x, count, 2u);
    default:
        return scan_chans(m, x, count, m->chan_count);
    }
}

enum mtr_err
mtr_metro_feed(struct mtr_metro *m,
               const float *x,
               size_t sample_count,
               size_t *consumed,
               struct mtr_metro_frame *frame)
{
    if (m == NULL || consumed == NULL || frame == NULL || (x == NULL && sample_count > 0)) {
        return MTR_EINVAL;
    }
    for (size_t s = 0; s < sample_count; s++) {
        s += scan(m, &x[s * m->chan_count], sample_count - s);
        if (s == sample_count) {
            break;
        }
        const float *xs = &x[s * m->chan_count];
        double pos = 0.0;
        bool is_close = false;
        bool is_synced = false;
        if (zc_step(m, xs[m->ref_phase] - m->dc[m->ref_phase], &pos)) {
            f10_on_crossing(m, pos);
            if (m->zc_start < 0.0) {
                /* resynchronise: an unsynchronised frame ends at the first crossing, so
                 * the next frame starts on one and holds whole cycles */
                is_close = m->n > 0 && m->frame_seq > 0;
                if (is_close) {
                    close_frame(m, false, frame);
                }
                m->zc_start = pos;
                m->zc_last = pos;
                m->cycles = 0;
                if (is_close) {
                    store_sample(m, xs);
                    *consumed = s + 1;
                    return MTR_OK;
                }
            } else {
                m->cycles++;
                m->zc_last = pos;
                is_close = is_synced = m->cycles >= m->n_cycles;
            }
        }
        if (!is_close && m->n >= (m->frame_seq == 0 ? m->n_first_timeout : m->n_timeout)) {
            is_close = true; /* no synchronisation: close on time */
        }
        if (is_close) {
            close_frame(m, is_synced, frame);
            store_sample(m, xs);
            *consumed = s + 1;
            return MTR_OK;
        }
        store_sample(m, xs);
    }
    *consumed = sample_count;
    return MTR_EAGAIN;
}

void
mtr_metro_mark_gap(struct mtr_metro *m)
{
    if (m == NULL) {
        return;
    }
    m->pending_flags |= MTR_METRO_FLAG_GAP;
    zc_reset(m);
    m->f10_first = -1.0; /* time is no longer continuous */
}

enum mtr_err
mtr_metro_flush(struct mtr_metro *m, struct mtr_metro_frame *frame)
{
    if (m == NULL || frame == NULL) {
        return MTR_EINVAL;
    }
    if (m->n == 0) {
        return MTR_EAGAIN;
    }
    m->pending_flags |= MTR_METRO_FLAG_PARTIAL;
    close_frame(m, false, frame);
    return MTR_OK;
}
