// The HTTP side of HTTP file upload (XEP-0363): requests under /upload/ on
// the http and https listeners, once their header is read, when the module
// http_upload runs (its UploadService, http_upload_service.hpp).
//
//   PUT      the body is streamed to disk in 256 KiB pieces as it arrives
//            (never held whole in memory), into a partial file that becomes
//            the upload only when its last byte is written. Refused before
//            any byte is read: 403 for a target the server did not sign or
//            whose time is over, 411 without Content-Length, 413 for a
//            length over the slot's size, 400 for another length or another
//            Content-Type, 409 for a slot used (or being used) already, 507
//            past a quota. A body slower than the module's min_upload_rate
//            on average, or idle for http.request_timeout, is cut off.
//   GET/HEAD the file with its Content-Type (as uploaded), Content-Length,
//            Content-Disposition (inline for images, audio, video and plain
//            text, else attachment), X-Content-Type-Options: nosniff and a
//            Content-Security-Policy that lets nothing run; 404 for any path
//            that does not name a stored file (path tricks included).
//   OPTIONS  the CORS preflight: web clients (Converse.js) upload from
//            another origin. Every answer carries Access-Control-Allow-Origin.
//
// Runs in the connection's coroutine, on its worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <memory>
#include <string_view>

#include "server/core/services.hpp"

namespace server::upload {
class UploadService;
}

namespace server::http {

// The upload service when `target` is under /upload/ and the module runs; else null.
std::shared_ptr<upload::UploadService> upload_service_for(const Services& services, std::string_view target);

// Answers the request whose header `parser` holds (its body, if any, not
// read yet: what of it arrived is in `buffer`). True when the connection
// may take another request.
template <class Stream>
boost::asio::awaitable<bool> serve_upload(upload::UploadService& service, Stream& stream,
                                          boost::beast::flat_buffer& buffer,
                                          boost::beast::http::request_parser<boost::beast::http::empty_body>& parser,
                                          std::chrono::seconds request_timeout);

}  // namespace server::http
