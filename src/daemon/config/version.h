/* meterd's version, as printed by --version and shown as the active firmware identifier. */
#ifndef METERD_DAEMON_VERSION_H
#define METERD_DAEMON_VERSION_H

#define MTRD_VERSION "0.1.0"

#endif /* METERD_DAEMON_VERSION_H */
