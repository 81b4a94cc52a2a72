# The optional dependencies (SPEC §8): PSW_WITH_MPI, PSW_WITH_PMIX,
# PSW_WITH_SLURM and PSW_WITH_ELASTIC are each AUTO (the default: on when
# found, off when not), ON (configure fails, naming the missing package) or
# OFF. The sweep tool (PSW_BUILD_SWEEP) needs HDF5, libyaml, GSL and xxhash;
# with MPI on it needs HDF5's parallel flavour, found through CMake's
# FindHDF5 (HDF5_IS_PARALLEL), so that Spack and module installs are found
# as Debian's are (HDF5_ROOT, or HDF5_C_COMPILER_EXECUTABLE=h5pcc, picks one).
#
# After this file each PSW_WITH_* is also a normal variable, ON or OFF, that
# shadows the tri-state cache entry: the rest of the tree asks
# if(PSW_WITH_MPI) and means "built in". psw_summary() prints one table of
# what is in and why.

set(psw_tristate_doc "AUTO (on when found), ON (required) or OFF")
foreach(dep MPI PMIX SLURM ELASTIC)
  set(PSW_WITH_${dep} AUTO CACHE STRING "${psw_tristate_doc}")
  set_property(CACHE PSW_WITH_${dep} PROPERTY STRINGS AUTO ON OFF)
endforeach()
option(PSW_BUILD_SWEEP
  "The sweep tool: parsweep run/show/info/... writing results.h5 (HDF5, libyaml, GSL, xxhash)"
  ON)
# The old name of PSW_BUILD_SWEEP (it said HDF5 but gated the whole tool):
# honoured once, then dropped from the cache so that the warning does not
# repeat on every configure of an old tree.
if(DEFINED PSW_WITH_HDF5)
  message(DEPRECATION "PSW_WITH_HDF5 is deprecated: use PSW_BUILD_SWEEP "
    "(taking PSW_BUILD_SWEEP=${PSW_WITH_HDF5})")
  set(PSW_BUILD_SWEEP ${PSW_WITH_HDF5} CACHE BOOL "" FORCE)
  unset(PSW_WITH_HDF5 CACHE)
  unset(PSW_WITH_HDF5)
endif()

# psw_mode(DEP): PSW_MODE_<DEP> = AUTO, ON or OFF from the cache entry.
function(psw_mode dep)
  string(TOUPPER "${PSW_WITH_${dep}}" v)
  if(v STREQUAL "AUTO")
    set(m AUTO)
  elseif(v MATCHES "^(ON|YES|TRUE|Y|1)$")
    set(m ON)
  elseif(v MATCHES "^(OFF|NO|FALSE|N|0|)$")
    set(m OFF)
  else()
    message(FATAL_ERROR "PSW_WITH_${dep}=${PSW_WITH_${dep}}: expected AUTO, "
      "ON or OFF")
  endif()
  set(PSW_MODE_${dep} ${m} PARENT_SCOPE)
endfunction()

# psw_decide(DEP FOUND WHAT MISSING): sets PSW_WITH_<DEP> (normal variable)
# and PSW_WHY_<DEP>. WHAT says what was found, MISSING what is missing
# (with the Debian package): ON with nothing found is a configure error.
macro(psw_decide dep found what missing)
  if(PSW_MODE_${dep} STREQUAL "OFF")
    set(PSW_WITH_${dep} OFF)
    set(PSW_WHY_${dep} "PSW_WITH_${dep}=OFF")
  elseif(${found})
    set(PSW_WITH_${dep} ON)
    set(PSW_WHY_${dep} "${PSW_MODE_${dep}}: ${what}")
  elseif(PSW_MODE_${dep} STREQUAL "ON")
    message(FATAL_ERROR "PSW_WITH_${dep}=ON but ${missing}; install it, "
      "or configure with -DPSW_WITH_${dep}=AUTO or OFF")
  else()
    set(PSW_WITH_${dep} OFF)
    set(PSW_WHY_${dep} "AUTO: ${missing}")
  endif()
endmacro()

foreach(dep MPI PMIX SLURM ELASTIC)
  psw_mode(${dep})
endforeach()

# --- MPI ---------------------------------------------------------------
set(psw_found OFF)
if(NOT PSW_MODE_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS C)
  if(MPI_C_FOUND)
    set(psw_found ON)
  endif()
endif()
psw_decide(MPI psw_found "MPI ${MPI_C_VERSION} (${MPIEXEC_EXECUTABLE})"
  "no MPI found (Debian: libopenmpi-dev openmpi-bin, or set MPI_HOME)")

# --- PMIx and ZeroMQ (the elastic backend), through pkg-config -----------
# psw_pkg(DEP PREFIX MODULE DEBIAN): DEP on when MODULE.pc is found
# (imported target PkgConfig::PREFIX).
macro(psw_pkg dep prefix module debian)
  set(psw_found OFF)
  if(NOT PSW_MODE_${dep} STREQUAL "OFF" AND PKG_CONFIG_FOUND)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
    set(psw_found ${${prefix}_FOUND})
  endif()
  psw_decide(${dep} psw_found "${module} ${${prefix}_VERSION}"
    "no ${module}.pc found by pkg-config (Debian: ${debian})")
endmacro()
psw_pkg(PMIX PMIX pmix libpmix-dev)
psw_pkg(ELASTIC ZMQ libzmq libzmq3-dev)

# --- Slurm -----------------------------------------------------------------
set(psw_found OFF)
if(NOT PSW_MODE_SLURM STREQUAL "OFF")
  find_library(SLURM_LIBRARY slurm)
  find_path(SLURM_INCLUDE_DIR slurm/slurm.h)
  if(SLURM_LIBRARY AND SLURM_INCLUDE_DIR)
    set(psw_found ON)
  endif()
endif()
psw_decide(SLURM psw_found "libslurm ${SLURM_LIBRARY}"
  "no libslurm and slurm/slurm.h found (Debian: libslurm-dev)")

# --- the sweep tool: HDF5 (parallel with MPI), libyaml, GSL, xxhash --------
set(PSW_HDF5_PARALLEL OFF)
if(PSW_BUILD_SWEEP)
  if(NOT PKG_CONFIG_FOUND)
    message(FATAL_ERROR "PSW_BUILD_SWEEP=ON needs pkg-config (Debian: "
      "pkg-config) for libyaml, GSL and xxhash; or -DPSW_BUILD_SWEEP=OFF")
  endif()
  # FindHDF5 caches the compiler wrapper it settled on (h5cc or h5pcc):
  # when the flavour wanted changes, forget it and search again.
  if(DEFINED PSW_HDF5_SEARCHED AND NOT PSW_HDF5_SEARCHED STREQUAL PSW_WITH_MPI)
    foreach(v HDF5_C_COMPILER_EXECUTABLE HDF5_DIFF_EXECUTABLE)
      unset(${v} CACHE)
    endforeach()
    get_cmake_property(psw_cache CACHE_VARIABLES)
    foreach(v IN LISTS psw_cache)
      if(v MATCHES "^HDF5_C_LIBRARY_")
        unset(${v} CACHE)
      endif()
    endforeach()
  endif()
  set(PSW_HDF5_SEARCHED ${PSW_WITH_MPI} CACHE INTERNAL "")
  set(HDF5_PREFER_PARALLEL ${PSW_WITH_MPI})
  find_package(HDF5 COMPONENTS C)
  if(NOT HDF5_FOUND)
    message(FATAL_ERROR "PSW_BUILD_SWEEP=ON needs HDF5 and none was found "
      "(Debian: libhdf5-dev, with MPI libhdf5-openmpi-dev; elsewhere set "
      "HDF5_ROOT or HDF5_C_COMPILER_EXECUTABLE); or -DPSW_BUILD_SWEEP=OFF")
  endif()
  if(PSW_WITH_MPI AND NOT HDF5_IS_PARALLEL)
    # One results.h5 written by every node needs parallel HDF5.
    set(psw_h5_missing "the HDF5 found (${HDF5_C_COMPILER_EXECUTABLE}) is \
serial and the sweep tool needs parallel HDF5 with MPI (Debian: \
libhdf5-openmpi-dev; elsewhere HDF5_ROOT or HDF5_C_COMPILER_EXECUTABLE=h5pcc)")
    if(PSW_MODE_MPI STREQUAL "ON")
      message(FATAL_ERROR "PSW_WITH_MPI=ON but ${psw_h5_missing}; or "
        "-DPSW_BUILD_SWEEP=OFF")
    endif()
    set(PSW_WITH_MPI OFF)
    set(PSW_WHY_MPI "AUTO: MPI ${MPI_C_VERSION} found, but ${psw_h5_missing}")
  elseif(NOT PSW_WITH_MPI AND HDF5_IS_PARALLEL)
    message(FATAL_ERROR "the HDF5 found (${HDF5_C_COMPILER_EXECUTABLE}) is "
      "parallel but MPI is off: point HDF5_ROOT or "
      "HDF5_C_COMPILER_EXECUTABLE (h5cc) at a serial HDF5 (Debian: "
      "libhdf5-dev), or build with MPI")
  endif()
  set(PSW_HDF5_PARALLEL ${HDF5_IS_PARALLEL})
  # One target for the sweep tool (FindHDF5's own hdf5::hdf5 needs CMake
  # 3.19).
  add_library(psw_hdf5 INTERFACE)
  target_include_directories(psw_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(psw_hdf5 INTERFACE ${HDF5_LIBRARIES})
  target_compile_definitions(psw_hdf5 INTERFACE ${HDF5_DEFINITIONS})
  if(HDF5_IS_PARALLEL) # its H5public.h includes mpi.h
    target_link_libraries(psw_hdf5 INTERFACE MPI::MPI_C)
  endif()
  foreach(m yaml-0.1:YAML:libyaml-dev gsl:GSL:libgsl-dev
            libxxhash:XXHASH:libxxhash-dev)
    string(REPLACE ":" ";" m "${m}")
    list(GET m 0 pc)
    list(GET m 1 prefix)
    list(GET m 2 deb)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${pc})
    if(NOT ${prefix}_FOUND)
      message(FATAL_ERROR "PSW_BUILD_SWEEP=ON needs ${pc} (pkg-config "
        "${pc}; Debian: ${deb}); or -DPSW_BUILD_SWEEP=OFF")
    endif()
  endforeach()
  set(PSW_WHY_SWEEP "HDF5 ${HDF5_VERSION}")
  if(HDF5_IS_PARALLEL)
    string(APPEND PSW_WHY_SWEEP " parallel")
  else()
    string(APPEND PSW_WHY_SWEEP " serial")
  endif()
  string(APPEND PSW_WHY_SWEEP ", libyaml ${YAML_VERSION}, GSL "
         "${GSL_VERSION}, xxhash ${XXHASH_VERSION}")
else()
  set(PSW_WHY_SWEEP "PSW_BUILD_SWEEP=OFF")
endif()

# --- man pages and bash completion (man/): scdoc turns one source per page
# into roff at build time.
set(PSW_BUILD_MAN AUTO CACHE STRING "man pages: ${psw_tristate_doc}")
set_property(CACHE PSW_BUILD_MAN PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${PSW_BUILD_MAN}" psw_man_mode)
set(PSW_BUILD_MAN_ON OFF)
if(NOT PSW_BUILD_SWEEP)
  set(PSW_WHY_MAN "no sweep tool to document")
elseif(psw_man_mode MATCHES "^(OFF|NO|FALSE|0)$")
  set(PSW_WHY_MAN "PSW_BUILD_MAN=OFF")
else()
  find_program(PSW_SCDOC scdoc)
  if(PSW_SCDOC)
    set(PSW_BUILD_MAN_ON ON)
    set(PSW_WHY_MAN "${psw_man_mode}: ${PSW_SCDOC}")
  elseif(psw_man_mode STREQUAL "AUTO")
    set(PSW_WHY_MAN "AUTO: no scdoc found (Debian: scdoc)")
  else()
    message(FATAL_ERROR "PSW_BUILD_MAN=ON but no scdoc found (Debian: "
      "scdoc); or -DPSW_BUILD_MAN=AUTO or OFF")
  endif()
endif()

# For the install test: whether man pages are built and installed.
set(PSW_MAN_BUILT ${PSW_BUILD_MAN_ON} CACHE INTERNAL "man pages built")

# psw_summary(): the one table of what this build has and why.
function(psw_summary)
  message(STATUS "parsweep ${PROJECT_VERSION}: what this build has, and why")
  foreach(r
      "MPI|mpi, hybrid|${PSW_WITH_MPI}|${PSW_WHY_MPI}"
      "PMIx|topology|${PSW_WITH_PMIX}|${PSW_WHY_PMIX}"
      "Slurm|submit, status|${PSW_WITH_SLURM}|${PSW_WHY_SLURM}"
      "ZeroMQ|elastic, worker|${PSW_WITH_ELASTIC}|${PSW_WHY_ELASTIC}"
      "sweep tool|parsweep|${PSW_BUILD_SWEEP}|${PSW_WHY_SWEEP}"
      "man pages|man, completion|${PSW_BUILD_MAN_ON}|${PSW_WHY_MAN}")
    string(REPLACE ";" "," r "${r}") # a list of libraries in a reason
    string(REPLACE "|" ";" f "${r}")
    list(GET f 0 name)
    list(GET f 1 gives)
    list(GET f 2 state)
    list(GET f 3 why)
    if(state)
      set(state "ON ")
    else()
      set(state "OFF")
    endif()
    string(LENGTH "${name} (${gives})" n)
    math(EXPR pad "30 - ${n}")
    if(pad LESS 1)
      set(pad 1)
    endif()
    string(REPEAT " " ${pad} sp)
    message(STATUS "  ${name} (${gives})${sp}${state}  ${why}")
  endforeach()
endfunction()
