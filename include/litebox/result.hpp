// Result<T>: the return type of every fallible North API call.
#pragma once

#include <expected>

#include "litebox/errno.hpp"

namespace litebox {

template <typename T>
using Result = std::expected<T, Errno>;

// Builds the error side of a Result: `return fail(Errno::enoent);`.
constexpr std::unexpected<Errno> fail(Errno error) { return std::unexpected<Errno>(error); }

}  // namespace litebox

// TRY(expr): evaluates a Result; on error, returns the error from the
// enclosing function, otherwise yields the value (a GNU statement expression,
// as GCC and Clang both accept).
#define TRY(expr)                                                              \
  __extension__({                                                              \
    auto&& litebox_try_result_ = (expr);                                       \
    if (!litebox_try_result_) [[unlikely]]                                     \
      return ::std::unexpected<::litebox::Errno>(litebox_try_result_.error()); \
    std::move(*litebox_try_result_);                                           \
  })

// TRY_VOID(expr): the same for Result<void>.
#define TRY_VOID(expr)                                                         \
  do {                                                                         \
    auto&& litebox_try_result_ = (expr);                                       \
    if (!litebox_try_result_) [[unlikely]]                                     \
      return ::std::unexpected<::litebox::Errno>(litebox_try_result_.error()); \
  } while (0)
