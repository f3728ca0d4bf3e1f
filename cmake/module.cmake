# crema_add_module(<name> SOURCES <files...> [PUBLIC_DEPS <targets...>] [PRIVATE_DEPS <targets...>])
# Defines the static library crema_<name> for src/<name>/, with the public headers of
# include/ and the module's private headers in its own directory.
function(crema_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(crema_${name} STATIC ${ARG_SOURCES})
  add_library(crema::${name} ALIAS crema_${name})
  target_compile_features(crema_${name} PUBLIC cxx_std_20)
  target_include_directories(crema_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(crema_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(crema_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  crema_set_warnings(crema_${name} STRICT)
endfunction()
