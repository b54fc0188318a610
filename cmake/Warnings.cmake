# Compiler warnings shared by every LiteBox target. CI turns them into errors
# with -DLITEBOX_WERROR=ON.
add_library(litebox_warnings INTERFACE)
target_compile_options(litebox_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wnull-dereference -Wimplicit-fallthrough
    -Wno-missing-field-initializers>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
if(LITEBOX_WERROR)
  target_compile_options(litebox_warnings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Werror> $<$<COMPILE_LANGUAGE:C>:-Werror>)
endif()
