/* Subcommands of the synack CLI. Each returns the process exit code. */
#ifndef SYNACK_TOOLS_CLI_H
#define SYNACK_TOOLS_CLI_H

int synack_cmd_demo(int argc, char **argv);

#endif
