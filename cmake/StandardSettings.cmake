# Settings every sshm target shares: language level, sanitizers, threads.
add_library(sshm_settings INTERFACE)
target_compile_features(sshm_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

if(SSHM_SANITIZE)
  # GCC 12 reports false "maybe-uninitialized" warnings inside libstdc++ (std::regex,
  # std::function) once ASan instrumentation meets optimisation; the plain build keeps it.
  target_compile_options(sshm_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    -Wno-maybe-uninitialized)
  target_link_options(sshm_settings INTERFACE -fsanitize=address,undefined)
endif()
if(SSHM_TSAN)
  # The same false "maybe-uninitialized" reports in libstdc++ (std::optional<std::string>)
  # as under ASan.
  target_compile_options(sshm_settings INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-maybe-uninitialized)
  target_link_options(sshm_settings INTERFACE -fsanitize=thread)
endif()
