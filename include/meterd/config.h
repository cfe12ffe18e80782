/*
 * Build-time limits of the portable core. Each can be overridden on the compiler
 * command line (-DMTR_CFG_MAX_...=n) for a smaller target such as a Cortex-M4.
 */
#ifndef METERD_CONFIG_H
#define METERD_CONFIG_H

/** Phases a meter measures (voltage and current channels each). */
#ifndef MTR_CFG_MAX_PHASES
#define MTR_CFG_MAX_PHASES 3
#endif

/**
 * Samples per channel one measurement frame may hold. A frame is 10 cycles at
 * 50 Hz or 12 at 60 Hz (IEC 61000-4-30 5.2); the first frame also holds the part
 * before the first crossing, after one cycle of filter settling. At the lowest
 * tracked frequency (42.5 Hz, 12 cycles = 282 ms) and 32 kS/s that is 9038 samples.
 * mtr_metro_init() rejects a rate whose frames would not fit.
 */
#ifndef MTR_CFG_MAX_FRAME_SAMPLES
#define MTR_CFG_MAX_FRAME_SAMPLES 9216
#endif

/** Highest harmonic order analysed (IEC 61000-4-7: up to the 50th). */
#ifndef MTR_CFG_MAX_HARMONIC
#define MTR_CFG_MAX_HARMONIC 50
#endif

/**
 * Most points of the resampled frame given to the FFT (its size is 2^a 3^b 5^c with
 * 2^a >= 16). The frame's whole cycles are resampled to N points, so bin 10
 * (50 Hz) or 12 (60 Hz) is the fundamental and bins are about 5 Hz apart; N is the
 * smallest size not below the frame's samples (1600 at 8 kHz), so the resampling
 * rate is at least fs and nothing folds onto the groups. Above 2048 / 0.2 s = 10.24
 * kHz the resampling kernel low-passes instead (IEC 61000-4-7 anti-aliasing).
 * Costs about 40 bytes of engine state per point (24 of them the three phases' buffers).
 */
#ifndef MTR_CFG_FFT_LEN
#define MTR_CFG_FFT_LEN 2048
#endif

/**
 * Samples of history kept before each frame: the phase/skew correction delays a
 * channel by up to this many samples minus 2, and the resampler reads 2 of them.
 */
#ifndef MTR_CFG_MAX_DELAY_SAMPLES
#define MTR_CFG_MAX_DELAY_SAMPLES 64
#endif

#endif /* METERD_CONFIG_H */
