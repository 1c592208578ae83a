# make_man.cmake - builds the man page of `cdc` with help2man, at build time.
#   cmake -DCDC=<cdc binary> -DHELP2MAN=<help2man> -DINCLUDE=<cdc.h2m>
#         -DVERSION=<x.y.z> -DWORK=<scratch folder> -DOUTPUT=<cdc.1> -P make_man.cmake
# help2man reads `cdc --help`; a SUBCOMMANDS section with each subcommand's
# own --help is added to the static sections of cdc.h2m.
foreach(var CDC HELP2MAN INCLUDE VERSION WORK OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "make_man.cmake: -D${var}=... is missing")
  endif()
endforeach()

execute_process(COMMAND ${CDC} --help OUTPUT_VARIABLE main_help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_man.cmake: `cdc --help` failed (${rc})")
endif()

# The subcommands: the lines of the "Subcommands:" block of `cdc --help`.
string(REPLACE "\n" ";" lines "${main_help}")
set(in_block FALSE)
set(subcommands)
foreach(line IN LISTS lines)
  if(line MATCHES "^Subcommands:")
    set(in_block TRUE)
  elseif(in_block AND line MATCHES "^  ([a-z][a-z0-9-]*)")
    list(APPEND subcommands ${CMAKE_MATCH_1})
  elseif(in_block AND NOT line MATCHES "^ ")
    set(in_block FALSE)
  endif()
endforeach()
if(NOT subcommands)
  message(FATAL_ERROR "make_man.cmake: no subcommands found in `cdc --help`")
endif()

file(READ ${INCLUDE} include_text)
set(section "[SUBCOMMANDS]\n")
foreach(sub IN LISTS subcommands)
  execute_process(COMMAND ${CDC} ${sub} --help OUTPUT_VARIABLE sub_help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "make_man.cmake: `cdc ${sub} --help` failed (${rc})")
  endif()
  # The exit codes footer is in the main help already.
  string(FIND "${sub_help}" "\nExit codes:" footer)
  if(footer GREATER -1)
    string(SUBSTRING "${sub_help}" 0 ${footer} sub_help)
  endif()
  # roff: backslashes escaped, a leading dot or quote neutralized.
  string(REPLACE "\\" "\\e" sub_help "${sub_help}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" sub_help "${sub_help}")
  string(REGEX REPLACE "\n+$" "" sub_help "${sub_help}")
  string(APPEND section ".SS \"cdc ${sub}\"\n.nf\n${sub_help}\n.fi\n")
endforeach()

file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/cdc.h2m "${section}\n${include_text}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1 --version-string=${VERSION}
          --include=${WORK}/cdc.h2m --output=${OUTPUT}.tmp ${CDC}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_man.cmake: help2man failed (${rc})")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
