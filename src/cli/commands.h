/* The commands of the batchtrace tool; each takes the arguments after its name and returns
 * the process exit code. */
#ifndef BT_CLI_COMMANDS_H
#define BT_CLI_COMMANDS_H

int cmd_collect(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_bind(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_proxy(int argc, char **argv);

#endif
