# Reads the "run:" lines of installer/debian-packages.txt into a Debian
# Depends value. Included by packaging.cmake; run as a script it prints the
# value, which the package test uses:
#   cmake -DPACKAGE_LIST=installer/debian-packages.txt -P installer/debian_depends.cmake
# Not supported: version constraints and alternatives ("a | b"); a line
# carries exactly one package name.

# Sets `out_var` to the packages of the "run:" lines of `list_file`, joined
# with ", ". Stops with a fatal error on a malformed "run:" line or when
# there is none.
function(gpupoor_read_run_packages list_file out_var)
  if(NOT EXISTS "${list_file}")
    message(FATAL_ERROR "package list not found: '${list_file}'")
  endif()
  file(STRINGS "${list_file}" run_lines REGEX "^run:")
  set(packages "")
  foreach(line IN LISTS run_lines)
    # Debian package names: lower-case letters, digits, '+', '-' and '.',
    # at least two characters, starting with a letter or digit.
    string(REGEX MATCH "^run:[ \t]*([a-z0-9][a-z0-9.+-]+)[ \t]*$" matched "${line}")
    if(NOT matched)
      message(FATAL_ERROR "${list_file}: invalid line '${line}'; "
        "expected 'run: <one Debian package name>'")
    endif()
    list(APPEND packages ${CMAKE_MATCH_1})
  endforeach()
  if(NOT packages)
    message(FATAL_ERROR "${list_file}: no 'run:' lines found, so the package would have no Depends")
  endif()
  list(JOIN packages ", " depends)
  set(${out_var} "${depends}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT DEFINED PACKAGE_LIST)
    message(FATAL_ERROR "PACKAGE_LIST is not set; run: cmake -DPACKAGE_LIST=<file> -P ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  gpupoor_read_run_packages("${PACKAGE_LIST}" depends)
  # message() writes to stderr; `cmake -E echo` writes the value to stdout.
  execute_process(COMMAND ${CMAKE_COMMAND} -E echo "${depends}")
endif()
