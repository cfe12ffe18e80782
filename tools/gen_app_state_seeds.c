/*
 * gen_app_state_seeds OUTDIR: write the seed corpus of fuzz/fuzz_app_state.c, encoded
 * meter-application states (mtr_app_state_encode()) produced by running the application:
 *   fresh.bin     init + start, nothing measured (default calendar, clock 2026-03-15Z);
 *   day_tou.bin   a day of the synthetic household as 1-s frames, two-tariff calendar,
 *                 CET with EU DST, partial counters running, a manual demand reset;
 *   month_tou.bin 20 days more from day_tou, with a passive calendar pending and tariff by
 *                 communication (T3);
 *   bad_tariff.bin  day_tou with the tariff byte set to 0 (must be rejected);
 *   newer.bin     fresh with format 2 (must be rejected as newer).
 * Not built by CMake (a one-off, its output is committed); build it against a build tree:
 *   B=build; gcc -std=c11 -O2 -Iinclude -Isrc/daemon tools/gen_app_state_seeds.c \
 *     $B/src/daemon/libmeterd_edge.a $B/src/core/libmeterd_core.a -lm -o /tmp/gen_seeds
 *   /tmp/gen_seeds fuzz/corpus/app_state
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meterd/actcal.h"
#include "meterd/app.h"
#include "meterd/clock.h"
#include "sources/synth_frames.h"

#define T0_US 1773532800000000LL /* 2026-03-15T00:00:00Z */

static struct mtr_app g_app;
static uint8_t g_buf[16384];

static int
write_state(
    const char *dir, const char *name, const struct mtr_app_state *st, int patch_off, int patch_val)
{
    size_t len = 0;
    if (mtr_app_state_encode(st, g_buf, sizeof(g_buf), &len) != MTR_OK) {
        return -1;
    }
    if (patch_off >= 0) {
        g_buf[patch_off] = (uint8_t)patch_val;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(g_buf, 1, len, f) != len) {
        fprintf(stderr, "%s: cannot write\n", path);
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    printf("%s: %zu bytes\n", path, len);
    return 0;
}

static int
tou(struct mtr_cal *cal, const char *name, const char *day1)
{
    memset(cal, 0, sizeof(*cal));
    snprintf(cal->name, sizeof(cal->name), "%s", name);
    cal->n_days = 2;
    cal->n_weeks = 1;
    cal->n_seasons = 1;
    cal->n_special = 1;
    if (mtr_cal_parse_day(day1, &cal->day[0], NULL, NULL) != MTR_OK ||
        mtr_cal_parse_day("2: 00:00 T2", &cal->day[1], NULL, NULL) != MTR_OK ||
        mtr_cal_parse_week("wk: 1 1 1 1 1 2 2", &cal->week[0], NULL, NULL) != MTR_OK ||
        mtr_cal_parse_season("all: 01-01 00:00 wk", &cal->season[0], NULL, NULL) != MTR_OK ||
        mtr_cal_parse_special("12-25 2", &cal->special[0], NULL, NULL) != MTR_OK) {
        return -1;
    }
    return mtr_cal_check(cal, NULL) == MTR_OK ? 0 : -1;
}

static int
run(struct mtrd_synth_frames *g, double days)
{
    int64_t end = g_app.st.t_us + (int64_t)(days * 86400e6);
    while (g_app.st.t_us < end) {
        struct mtr_metro_frame fr;
        if (mtrd_synth_frames_next(g, &fr, NULL) != MTR_OK ||
            mtr_app_frame(&g_app, &fr, g_app.st.t_us + mtrd_synth_frames_len_us(g)) != MTR_OK) {
            return -1;
        }
        mtr_app_entries_done(&g_app);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_app_state_seeds OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    static struct mtr_cal cal;
    static struct mtr_cal cal2;
    struct mtr_app_config cfg;
    mtr_app_config_default(&cfg);
    mtr_cal_default(&cal);
    if (mtr_app_init(&g_app, &cfg, &cal) != MTR_OK ||
        mtr_app_start(&g_app, T0_US, false) != MTR_OK ||
        write_state(dir, "fresh.bin", &g_app.st, -1, 0) != 0 ||
        write_state(dir, "newer.bin", &g_app.st, 4, 2) != 0) {
        return 1;
    }
    cfg.clock.tz_min = 60;
    cfg.clock.dst_enabled = true;
    if (tou(&cal, "hc-hp", "1: 00:00 T2, 06:00 T1, 22:00 T2") != 0 ||
        tou(&cal2, "summer", "1: 00:00 T3, 07:00 T4, 12:00:30 T1, 21:00 T3") != 0 ||
        mtr_app_init(&g_app, &cfg, &cal) != MTR_OK ||
        mtr_app_start(&g_app, T0_US, false) != MTR_OK) {
        return 1;
    }
    struct mtrd_synth_frames_spec sp;
    memset(&sp, 0, sizeof(sp));
    sp.frame_s = 1.0;
    sp.t0_us = g_app.st.t_us;
    sp.tz_min = 60;
    struct mtrd_synth_frames *g = NULL;
    if (mtrd_synth_frames_open(&sp, &g, NULL, 0) != MTR_OK ||
        mtr_app_partial(&g_app, MTR_PARTIAL_START, MTR_WHO_CLI) != MTR_OK || run(g, 1.0) != 0 ||
        mtr_app_demand_reset(&g_app, MTR_WHO_MODBUS) != MTR_OK) {
        return 1;
    }
    mtr_app_entries_done(&g_app);
    if (write_state(dir, "day_tou.bin", &g_app.st, -1, 0) != 0) {
        return 1;
    }
    /* the tariff byte follows t_us (8) and clock_status (4) in the body (header 12) */
    if (write_state(dir, "bad_tariff.bin", &g_app.st, 12 + 12, 0) != 0) {
        return 1;
    }
    if (mtr_app_set_passive(&g_app, &cal2, T0_US + 40LL * 86400000000LL) != MTR_OK ||
        run(g, 20.0) != 0) {
        return 1;
    }
    cfg.tariff_src = MTR_TARIFF_COM;
    if (mtr_app_reconfigure(&g_app, &cfg) != MTR_OK ||
        mtr_app_set_tariff(&g_app, 3, MTR_WHO_DLMS) != MTR_OK || run(g, 0.01) != 0 ||
        write_state(dir, "month_tou.bin", &g_app.st, -1, 0) != 0) {
        return 1;
    }
    mtrd_synth_frames_close(g);
    return 0;
}
