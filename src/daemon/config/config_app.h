/*
 * The meter application's settings (include/meterd/app.h) from the daemon's
 * configuration: [clock], [tariff], [demand], [profiles], [billing].
 */
#ifndef METERD_DAEMON_CONFIG_APP_H
#define METERD_DAEMON_CONFIG_APP_H

#include <stddef.h>

#include "config/config.h"
#include "meterd/actcal.h"
#include "meterd/app.h"

/**
 * Build the application configuration and the activity calendar.
 * @param[in]  cfg      Daemon configuration.
 * @param[out] app      Application configuration (checked).
 * @param[out] cal      Calendar (checked): the configured one, or T1 all day.
 * @param[out] err      On failure, a message naming the section, option, item number,
 *                      the item's text and the column, e.g.
 *                      "[tariff] day #2 '1: 06:00 T1, 05:00 T2': column 14: switch times not
 *                      in ascending order".
 * @param[in]  err_cap  Capacity of err.
 * @retval MTR_OK      Valid.
 * @retval MTR_EINVAL  Invalid (err says what and where).
 */
enum mtr_err mtrd_config_app(const struct mtrd_config *cfg,
                             struct mtr_app_config *app,
                             struct mtr_cal *cal,
                             char *err,
                             size_t err_cap);

/**
 * The passive calendar of the configuration ([tariff] passive-*), with its activation time.
 * @param[out] cal          Calendar (checked).
 * @param[out] activate_us  passive-activate, UTC us; INT64_MAX when not given (activation only
 *                          by command).
 * @retval MTR_OK      Given and valid.
 * @retval MTR_ENOENT  No passive calendar configured.
 * @retval MTR_EINVAL  Invalid (err names the option, item and column).
 */
enum mtr_err mtrd_config_passive(const struct mtrd_config *cfg,
                                 struct mtr_cal *cal,
                                 int64_t *activate_us,
                                 char *err,
                                 size_t err_cap);

#endif /* METERD_DAEMON_CONFIG_APP_H */
