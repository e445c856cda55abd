/* Default libFuzzer flags for the TCP targets, set in the binary so that every way of running it
 * (tests/fuzz/run.sh, `make fuzz`, a developer's command line) gets them.
 *
 * -entropic=0: libFuzzer's entropic schedule (the default since LLVM 11) looks up every feature
 * of every run in its list of rare features with a linear search; early in a campaign nearly
 * every feature is rare, so an input that covers a few thousand features of the TCP state
 * machine costs tens of millions of comparisons. On fuzz_tcp_state that bookkeeping was 70 % of
 * the time, on fuzz_tcp_rcv 50 % (perf, docs/fuzzing.md), and turning it off reached at least
 * the same coverage in the same 15 s (docs/fuzzing.md has the figures). The parsers' targets
 * cover far fewer features per input and keep the default.
 *
 * The flags go right after argv[0], before the command line's own: libFuzzer takes the last
 * occurrence of a flag, so `-entropic=1` on the command line still wins. Included once, by the
 * target's only source file. */
#ifndef SYNACK_FUZZ_FLAGS_H
#define SYNACK_FUZZ_FLAGS_H

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  static char entropic_off[] = "-entropic=0";
  static char *args[512];
  if (*argc < 1 || *argc + 1 >= (int)(sizeof args / sizeof args[0])) return 0;
  args[0] = (*argv)[0];
  args[1] = entropic_off;
  for (int i = 1; i < *argc; i++) args[i + 1] = (*argv)[i];
  args[*argc + 1] = NULL;
  *argc += 1;
  *argv = args;
  return 0;
}

#endif
