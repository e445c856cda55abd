/* Subcommands of the synack CLI. Each returns the process exit code. */
#ifndef SYNACK_TOOLS_CLI_H
#define SYNACK_TOOLS_CLI_H

int synack_cmd_demo(int argc, char **argv);
int synack_cmd_drill(int argc, char **argv);
int synack_cmd_scenario(int argc, char **argv);
int synack_cmd_ladder(int argc, char **argv);
int synack_cmd_tsg(int argc, char **argv);
int synack_cmd_serve(int argc, char **argv);
int synack_cmd_get(int argc, char **argv);
int synack_cmd_connect(int argc, char **argv);
int synack_cmd_ping(int argc, char **argv);
int synack_cmd_explore(int argc, char **argv);

#endif
