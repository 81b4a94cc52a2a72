# conformance.list: `conformance --list` prints the cases CMake read from
# cases.def (EXPECTED, comma-separated), in the same order: the ctest
# entries are exactly the program's cases.
#   cmake -DPROGRAM=path/to/conformance -DEXPECTED=a,b,c -P check_list.cmake
execute_process(COMMAND ${PROGRAM} --list RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --list: exit ${rc}: ${err}")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" "," out "${out}")
if(NOT out STREQUAL EXPECTED)
  message(FATAL_ERROR "the program's cases (${out}) are not the ctest "
                      "entries' (${EXPECTED}, from cases.def)")
endif()
message(STATUS "conformance --list: ${out}")
