/* print_version: prints the version of libcdc and exits. It loads no engine
 * and no libtorch (lib/api/engine_table.h), so it starts in milliseconds; the
 * start-up measurement of CHANGELOG.md times it. */
#include <stdio.h>

#include <cdc.h>

int main(void) {
  printf("%s\n", cdc_version_string());
  return 0;
}
