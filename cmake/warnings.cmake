# crema_set_warnings(target [STRICT]): -Wall -Wextra -Wpedantic -Wshadow everywhere,
# -Wconversion for library code (STRICT).
function(crema_set_warnings target)
  cmake_parse_arguments(ARG "STRICT" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(ARG_STRICT)
    target_compile_options(${target} PRIVATE -Wconversion -Wno-sign-conversion)
  endif()
  if(CREMA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
