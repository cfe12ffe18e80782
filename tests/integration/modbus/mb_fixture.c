/*
 * Test server for the Modbus integration tests: opens the native Modbus server on
 * a free port of 127.0.0.1, publishes a hand-built snapshot of known values, and
 * serves until SIGTERM/SIGINT or the lifetime ends. Prints "PORT <n>" on stdout
 * once it listens. The known values are listed in fixture_snapshot(); the test
 * scripts carry the same physical inputs and compute the expected registers from
 * them on their own.
 *
 * Usage: mb_fixture [--no-publish] [--stale-ms N] [--idle-s N] [--max-clients N]
 *                   [--unit N] [--lifetime-s N]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modbus/modbus_srv.h"

#include "meterd/reg.h"
#include "meterd/snapshot.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void
fixture_snapshot(struct mtr_snapshot *s)
{
    static const float u[3] = {230.12f, 231.5f, 229.87f};
    static const float i[3] = {5.432f, 0.5f, 12.345f};
    static const float p[3] = {1234.5f, -567.8f, 0.0f};
    static const float q1[3] = {321.0f, -100.5f, 0.0f};
    static const float qb[3] = {330.0f, -101.0f, 0.0f};
    static const float sa[3] = {1250.0f, 576.5f, 0.0f};
    static const float pf[3] = {0.9876f, -0.985f, 0.0f};
    static const float phi[3] = {14.56f, -170.25f, 0.0f};
    static const float ua[3] = {0.0f, -120.0f, 120.0f};
    static const float thd_u[3] = {2.5f, 3.14f, 0.0f};
    static const float thd_i[3] = {15.5f, 42.0f, 0.0f};
    memset(s, 0, sizeof(*s));
    for (int k = 0; k < 3; k++) {
        s->frame.ph[k].u_rms_V = u[k];
        s->frame.ph[k].i_rms_A = i[k];
        s->frame.ph[k].p_W = p[k];
        s->frame.ph[k].q1_var = q1[k];
        s->frame.ph[k].qb_var = qb[k];
        s->frame.ph[k].s_VA = sa[k];
        s->frame.ph[k].pf_ratio = pf[k];
        s->frame.ph[k].phi_deg = phi[k];
        s->frame.ph[k].u_angle_deg = ua[k];
        s->frame.ph[k].u_thd_pct = thd_u[k];
        s->frame.ph[k].i_thd_pct = thd_i[k];
        s->frame.ph[k].is_present = true;
    }
    s->frame.phase_count = 3;
    s->frame.total.p_W = 666.7f;
    s->frame.total.q1_var = 220.5f;
    s->frame.total.qb_var = 229.0f;
    s->frame.total.s_VA = 1826.5f;
    s->frame.total.pf_ratio = 0.365f;
    s->frame.f_Hz = 49.987f;
    s->frame.i_n_A = 7.25f;
    s->frame.u_ll_V[0] = 398.76f;
    s->frame.u_ll_V[1] = 400.0f;
    s->frame.u_ll_V[2] = 401.5f;
    s->frame.seq = 4294967296u + 123456789u; /* the uint32 register shows 123456789 */
    s->frame.seq_order = MTR_METRO_SEQ_123;
    s->frame.missing_mask = 0;
    s->t_us = 1700000000123456u;
    s->is_valid = true;
    s->reg.e_u[MTR_REG_L1][MTR_REG_A_IMP] = 12345678901234;      /* 12345678 Wh */
    s->reg.e_u[MTR_REG_L2][MTR_REG_A_IMP] = 1999999;             /* 1 Wh */
    s->reg.e_u[MTR_REG_L2][MTR_REG_A_EXP] = 2500000000;          /* 2500 Wh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = 5000000000000000; /* 5e9 Wh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP] = 3000000000000;    /* 3e6 Wh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_R_IMP] = 777000000;        /* 777 varh */
    s->reg.e_u[MTR_REG_L3][MTR_REG_R_Q4] = 42000000;             /* 42 varh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_S_IMP] = 9000000000000;    /* 9e6 VAh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_ABS] = 5003000000000000; /* 5.003e9 Wh */
    /* meter application: tariff registers, demand (mW), counters, partials */
    s->app.tar_u[0][MTR_REG_A_IMP] = 4000000000000000; /* +A T1 4e9 Wh */
    s->app.tar_u[2][MTR_REG_A_IMP] = 1000000000000000; /* +A T3 1e9 Wh */
    s->app.tar_u[1][MTR_REG_A_EXP] = 3000000000000;    /* -A T2 3e6 Wh */
    s->app.tar_u[3][MTR_REG_S_IMP] = 9000000000000;    /* +S T4 9e6 VAh */
    s->app.tariff = 3;
    s->app.bill_count = 17;
    s->app.outages_short = 4;
    s->app.outages_long = 2;
    s->app.dem.resets = 5;
    s->app.partial.running = true;
    s->app.dem.last_mW[MTR_DEM_P_IMP] = 1234567;   /* 1234.567 W: 12345 at 0.1 W */
    s->app.dem.last_mW[MTR_DEM_Q_EXP] = 99;        /* 0.099 var: 0 at 0.1 var */
    s->app.dem.max_mW[0][MTR_DEM_P_IMP] = 5432100; /* 5432.1 W */
    s->app.dem.max_mW[2][MTR_DEM_P_IMP] = 4000000;
    s->app.dem.max_t_us[0][MTR_DEM_P_IMP] = 1699999200000000; /* 2023-11-14T22:00:00Z */
    s->app.dem.cum_mW[MTR_DEM_P_EXP] = 777777;
    s->dem_cur_mW[MTR_DEM_P_IMP] = 1000049;            /* 1000.049 W: 10000 at 0.1 W */
    s->app.partial.e_u[0][MTR_REG_A_IMP] = 2500000000; /* 2500 Wh */
}

static long
arg_num(int argc, char **argv, int *k)
{
    char *end = NULL;
    long v;
    if (*k + 1 >= argc) {
        fprintf(stderr, "mb_fixture: %s needs a number\n", argv[*k]);
        exit(2);
    }
    v = strtol(argv[++*k], &end, 10);
    if (end == argv[*k] || *end != '\0' || v < 0) {
        fprintf(stderr, "mb_fixture: bad number '%s'\n", argv[*k]);
        exit(2);
    }
    return v;
}

static void
log_stderr(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "<%d> %s\n", level, msg);
}

int
main(int argc, char **argv)
{
    struct mtrd_modbus_cfg cfg = {0};
    struct mtrd_modbus *srv = NULL;
    struct mtr_snapshot s;
    struct sigaction sa;
    char err[256];
    int is_published = 1;
    long lifetime_s = 60;
    time_t t0;

    cfg.bind_addr = "127.0.0.1";
    cfg.unit_id = 1;
    cfg.max_clients = 16;
    cfg.idle_timeout_s = 0;
    cfg.log_fn = log_stderr;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--no-publish") == 0) {
            is_published = 0;
        } else if (strcmp(argv[k], "--stale-ms") == 0) {
            cfg.stale_ms = (unsigned)arg_num(argc, argv, &k);
        } else if (strcmp(argv[k], "--idle-s") == 0) {
            cfg.idle_timeout_s = (unsigned)arg_num(argc, argv, &k);
        } else if (strcmp(argv[k], "--max-clients") == 0) {
            cfg.max_clients = (unsigned)arg_num(argc, argv, &k);
        } else if (strcmp(argv[k], "--unit") == 0) {
            cfg.unit_id = (uint8_t)arg_num(argc, argv, &k);
        } else if (strcmp(argv[k], "--lifetime-s") == 0) {
            lifetime_s = arg_num(argc, argv, &k);
        } else {
            fprintf(stderr, "mb_fixture: unknown option %s\n", argv[k]);
            return 2;
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);

    if (mtrd_modbus_open(&cfg, &srv, err, sizeof(err)) != MTR_OK) {
        fprintf(stderr, "mb_fixture: %s\n", err);
        return 1;
    }
    fixture_snapshot(&s);
    if (is_published && mtrd_modbus_publish(srv, &s) != MTR_OK) {
        fprintf(stderr, "mb_fixture: publish failed\n");
        mtrd_modbus_close(srv);
        return 1;
    }
    printf("PORT %u\n", (unsigned)mtrd_modbus_port(srv));
    fflush(stdout);
    t0 = time(NULL);
    while (!stop_requested && time(NULL) - t0 < lifetime_s) {
        if (mtrd_modbus_poll(srv, 50) != MTR_OK) {
            break;
        }
    }
    {
        struct mtrd_modbus_stats st;
        mtrd_modbus_stats(srv, &st);
        fprintf(stderr,
                "mb_fixture: %llu requests, %llu exceptions, %llu clients, %llu refused, "
                "%llu dropped\n",
                (unsigned long long)st.requests, (unsigned long long)st.exceptions,
                (unsigned long long)st.clients_total, (unsigned long long)st.clients_refused,
                (unsigned long long)st.clients_dropped);
    }
    mtrd_modbus_close(srv);
    return 0;
}
