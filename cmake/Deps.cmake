# Finds every external C library through pkg-config. A missing one stops the
# configure step with the Debian package that provides it.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

# mpc_require(<target-suffix> <pkg-config module> <Debian package>)
# Defines the imported target PkgConfig::<target-suffix>.
function(mpc_require name module debian_package)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR
      "Missing dependency '${module}'. Install it with: apt-get install ${debian_package}")
  endif()
  message(STATUS "Found ${module} ${${name}_VERSION}")
endfunction()

mpc_require(SECP256K1  libsecp256k1   libsecp256k1-dev)
mpc_require(LIBCRYPTO  "libcrypto>=3.0" libssl-dev)
mpc_require(LIBSSL     "libssl>=3.0"    libssl-dev)
mpc_require(RDKAFKA    rdkafka        librdkafka-dev)
mpc_require(LIBPQ      libpq          libpq-dev)
mpc_require(HIREDIS    hiredis        libhiredis-dev)
mpc_require(AVRO       avro-c         libavro-dev)
mpc_require(MHD        libmicrohttpd  libmicrohttpd-dev)
mpc_require(LIBCONFIG  libconfig      libconfig-dev)
mpc_require(JANSSON    jansson        libjansson-dev)
mpc_require(NETTLE     nettle         nettle-dev)

find_package(Threads REQUIRED)
