/* Shell arithmetic of `synack drill` (tools/drill/drill_arith.c): precedence, number forms,
 * errors, and the extent of a $(( )) in text. */
#include "drill.h"
#include "harness.h"

static void arith(void) {
  int64_t v = 0;
  char why[128];
  CHECK_EQ_I(drill_arith("7 / 2 % 3", 9, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 0);
  CHECK_EQ_I(drill_arith("-3 * -(2) + ~0", 14, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 5);
  CHECK_EQ_I(drill_arith("1 < 2 && 3 >= 3 || 0", 20, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 1);
  CHECK_EQ_I(drill_arith("1 | 2 ^ 3 & 6", 13, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 1); /* 3&6 = 2, 2^2 = 0, 1|0 = 1 (left to right would give 0) */
  CHECK_EQ_I(drill_arith("2 + 1 == 3", 10, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 1);
  CHECK_EQ_I(drill_arith("1 / 0", 5, &v, why, sizeof why), -1);
  CHECK_STR(why, "division by zero in $(( ))");
  CHECK_EQ_I(drill_arith("X + 1", 5, &v, why, sizeof why), -1);
  CHECK_STR(why, "shell variables in $(( )) are not supported");
  CHECK_EQ_U(drill_arith_len("$((1+(2)))x", 11), 10);
  CHECK_EQ_U(drill_arith_len("$((1+2)", 7), 0);
  /* shell number forms: 010 is octal, 08 is an error (as in bash) */
  CHECK_EQ_I(drill_arith("010 + 0x10 + (1 << 20)", 22, &v, why, sizeof why), 0);
  CHECK_EQ_I(v, 8 + 16 + 1048576);
  CHECK_EQ_I(drill_arith("08", 2, &v, why, sizeof why), -1);
  CHECK_STR(why, "malformed number in $(( ))");
  CHECK_EQ_I(drill_arith("(1 + 2", 6, &v, why, sizeof why), -1);
  CHECK_STR(why, "expected ')' in $(( ))");
  CHECK_EQ_I(drill_arith("1 2", 3, &v, why, sizeof why), -1);
  CHECK_STR(why, "unexpected text in $(( ))");
}

TH_MAIN(TH_CASE(arith))
