# Every third-party dependency, all from Debian 12 packages (scripts/deps installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(tl-expected REQUIRED)
find_package(simdjson 3 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(SQLite3 3.40 REQUIRED)
find_package(ICU 72 REQUIRED COMPONENTS uc i18n)
pkg_check_modules(FASTTEXT REQUIRED IMPORTED_TARGET fasttext)

# CLD2 ships no pkg-config file.
find_path(CLD2_INCLUDE_DIR cld2/public/compact_lang_det.h REQUIRED)
find_library(CLD2_LIBRARY NAMES cld2 REQUIRED)
add_library(crema_dep_cld2 INTERFACE)
target_include_directories(crema_dep_cld2 SYSTEM INTERFACE ${CLD2_INCLUDE_DIR})
target_link_libraries(crema_dep_cld2 INTERFACE ${CLD2_LIBRARY})

# Multi-pattern prefilter: Hyperscan where Debian has it (amd64), RE2::Set otherwise.
pkg_check_modules(HYPERSCAN IMPORTED_TARGET libhs)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Gazetteer index (geo), phone numbers (extract), tokenizers and GEMMs (nn), HTTP server.
pkg_check_modules(MARISA REQUIRED IMPORTED_TARGET marisa)
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY NAMES phonenumber REQUIRED)
add_library(crema_dep_phonenumber INTERFACE)
target_include_directories(crema_dep_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(crema_dep_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})
# Debian's dnnl-config.cmake insists on OpenCL headers (GPU runtime); crema uses the CPU engine only.
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
find_library(DNNL_LIBRARY NAMES dnnl REQUIRED)
add_library(crema_dep_dnnl INTERFACE)
target_include_directories(crema_dep_dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})
target_link_libraries(crema_dep_dnnl INTERFACE ${DNNL_LIBRARY})
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# ANN indexes (match): FAISS (Debian's static libfaiss.a pulls in OpenMP and BLAS) and the
# header-only hnswlib.
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
add_library(crema_dep_hnswlib INTERFACE)
target_include_directories(crema_dep_hnswlib SYSTEM INTERFACE ${HNSWLIB_INCLUDE_DIR})

# Min-cost flow for quantity-aware allocation (match): LEMON used header-only (NetworkSimplex,
# Preflow are templates), so nothing is linked; Debian's lemon.pc names the wrong libdir.
find_path(LEMON_INCLUDE_DIR lemon/network_simplex.h REQUIRED)
add_library(crema_dep_lemon INTERFACE)
target_include_directories(crema_dep_lemon SYSTEM INTERFACE ${LEMON_INCLUDE_DIR})
target_compile_definitions(crema_dep_lemon INTERFACE LEMON_ONLY_TEMPLATES)

if(CREMA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(CREMA_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
# Only the LibTorch comparison bench (bench/nn_torch_bench.cc) uses it; crema itself never does.
if(CREMA_WITH_TORCH)
  find_package(Torch REQUIRED)
endif()
