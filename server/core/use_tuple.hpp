// `co_await op(..., use_tuple)` yields (error_code, results...) instead of
// throwing: for I/O whose failure is an ordinary outcome (a peer that left).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace server {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace server
