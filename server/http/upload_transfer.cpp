#include "server/http/upload_transfer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <vector>

#include "server/core/metrics.hpp"
#include "server/core/module_host.hpp"
#include "server/core/use_tuple.hpp"
#include "server/http/http_routes.hpp"
#include "server/modules/http_upload_service.hpp"
#include "xmpp/datetime.hpp"

namespace server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Large enough that a 100 MiB file takes few system calls and TLS records
// are full; small enough that a few hundred transfers stay modest in memory.
constexpr std::size_t kChunk = 256 * 1024;
constexpr std::string_view kAllowedMethods = "GET, HEAD, PUT, OPTIONS";
constexpr std::string_view kDefaultType = "application/octet-stream";

template <class Message>
void allow_any_origin(Message& res) {
    // The URLs are the credentials (no cookies, no HTTP auth): any origin may use them.
    res.set(bhttp::field::access_control_allow_origin, "*");
}

Response text_response(bhttp::status status, unsigned version, std::string text) {
    Response res = plain_response(status, version, std::move(text));
    allow_any_origin(res);
    return res;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Types a browser may show in place: they run no script. Everything else
// (HTML, SVG, PDF, ...) is offered as a download, so that a file cannot act
// in the server's origin.
bool shown_inline(std::string_view type) {
    const std::string_view essence = type.substr(0, type.find(';'));
    if (essence.find("svg") != std::string_view::npos || essence.find("xml") != std::string_view::npos) return false;
    return essence.starts_with("image/") || essence.starts_with("audio/") || essence.starts_with("video/") ||
           iequals(essence, "text/plain");
}

// RFC 6266: a plain ASCII filename= for old agents, and RFC 8187's
// filename*= with the name itself.
std::string content_disposition(const upload::StoredFile& file) {
    std::string ascii;
    for (char c : file.filename) {
        const auto u = static_cast<unsigned char>(c);
        ascii += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '_' : c;
    }
    return std::string(shown_inline(file.content_type) ? "inline" : "attachment") + "; filename=\"" + ascii +
           "\"; filename*=UTF-8''" + upload::percent_encode(file.filename);
}

template <class Stream>
asio::awaitable<bool> send(Stream& stream, Response res, bool keep_alive, std::chrono::seconds timeout) {
    res.keep_alive(keep_alive);
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
    beast::get_lowest_layer(stream).expires_never();
    co_return !ec && keep_alive;
}

struct FileDescriptor {
    explicit FileDescriptor(int f) : fd(f) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
    int fd;
};

template <class Stream>
asio::awaitable<bool> get(upload::UploadService& service, Stream& stream, const bhttp::request_header<>& req,
                          bool keep_alive, std::chrono::seconds timeout) {
    const unsigned v = req.version();
    const auto ref = upload::parse_file_target(req.target());
    auto file = ref ? service.files().find(*ref) : std::nullopt;
    const std::int64_t expiry = service.settings().expiry;
    if (file && expiry > 0 && xmpp::unix_seconds_now() - file->created >= expiry) file.reset();
    FileDescriptor fd(file ? ::open(service.files().data_path(file->id).c_str(), O_RDONLY | O_CLOEXEC) : -1);
    if (fd.fd < 0) {
        Response missing = text_response(bhttp::status::not_found, v, "No such file");
        co_return co_await send(stream, std::move(missing), keep_alive, timeout);
    }

    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, v};
    res.set(bhttp::field::server, kServerName);
    res.set(bhttp::field::content_type, file->content_type.empty() ? kDefaultType : file->content_type);
    res.set(bhttp::field::content_disposition, content_disposition(*file));
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
    res.set(bhttp::field::cache_control, "public, max-age=604800, immutable");
    allow_any_origin(res);
    res.content_length(file->size);
    res.keep_alive(keep_alive);
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
    if (hec) co_return false;
    if (req.method() == bhttp::verb::head) {
        beast::get_lowest_layer(stream).expires_never();
        co_return keep_alive;
    }
    std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, file->size)));
    std::uint64_t sent = 0;
    while (sent < file->size) {
        const ssize_t n = ::pread(fd.fd, chunk.data(), chunk.size(), static_cast<off_t>(sent));
        if (n <= 0) co_return false;  // the file changed under us: the client sees a short body
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto [ec, written] = co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(n)),
                                                        use_tuple);
        if (ec) co_return false;
        sent += written;
    }
    beast::get_lowest_layer(stream).expires_never();
    metrics::download(sent);
    co_return keep_alive;
}

template <class Stream>
asio::awaitable<bool> put(upload::UploadService& service, Stream& stream, beast::flat_buffer& buffer,
                          bhttp::request_parser<bhttp::empty_body>& parser, std::chrono::seconds timeout) {
    const auto& req = parser.get();
    const unsigned v = req.version();
    // Refusals close the connection: the body may be on its way.
    auto refuse = [&](bhttp::status status, std::string text) {
        metrics::upload_refused();
        return send(stream, text_response(status, v, std::move(text)), false, timeout);
    };
    const auto verified = service.signer().verify_put(req.target(), xmpp::unix_seconds_now());
    if (!verified) {
        const bool expired = verified.error() == upload::PutRefusal::expired;
        co_return co_await refuse(bhttp::status::forbidden,
                                  expired ? "This upload slot has expired" : "Not a valid upload URL");
    }
    const upload::Slot& slot = verified.value();
    const auto length = parser.content_length();
    if (parser.chunked() || !length)
        co_return co_await refuse(bhttp::status::length_required, "Content-Length is required");
    if (*length > slot.size) co_return co_await refuse(bhttp::status::payload_too_large, "Larger than the slot");
    if (*length != slot.size) co_return co_await refuse(bhttp::status::bad_request, "The length is not the slot's");
    std::string type(req[bhttp::field::content_type]);
    if (!slot.content_type.empty() && !iequals(type, slot.content_type))
        co_return co_await refuse(bhttp::status::bad_request, "The Content-Type is not the slot's");
    if (slot.content_type.empty() && !upload::valid_content_type(type)) type = kDefaultType;
    auto begun = service.files().begin(slot, type, service.settings().limits);
    if (!begun) {
        switch (begun.error()) {
            case upload::BeginRefusal::exists:
            case upload::BeginRefusal::in_progress:
                co_return co_await refuse(bhttp::status::conflict, "This upload slot was used already");
            case upload::BeginRefusal::quota:
                co_return co_await refuse(bhttp::status::insufficient_storage, "Quota reached");
            case upload::BeginRefusal::io:
                break;
        }
        co_return co_await refuse(bhttp::status::internal_server_error, "The file cannot be stored");
    }
    auto& upload = *begun.value();
    if (iequals(req[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kContinue), use_tuple);
        if (ec) co_return false;
    }
    // Idle for `timeout`, or slower on average than min_upload_rate: cut off
    // (the stream closes; the partial file goes with `upload`).
    const auto rate = service.settings().min_upload_rate;
    const auto start = std::chrono::steady_clock::now();
    const auto overall = rate ? start + timeout + std::chrono::seconds(slot.size / rate)
                              : std::chrono::steady_clock::time_point::max();
    std::uint64_t remaining = slot.size;
    const std::size_t buffered = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining));
    if (buffered) {
        if (!upload.write(static_cast<const char*>(buffer.data().data()), buffered)) co_return false;
        buffer.consume(buffered);
        remaining -= buffered;
    }
    std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, remaining)));
    while (remaining > 0) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= overall) {
            metrics::upload_refused();
            co_return false;
        }
        beast::get_lowest_layer(stream).expires_at(std::min(overall, now + timeout));
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), remaining));
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk.data(), want), use_tuple);
        if (ec || !upload.write(chunk.data(), n)) {
            metrics::upload_refused();
            co_return false;
        }
        remaining -= n;
    }
    beast::get_lowest_layer(stream).expires_never();
    if (!upload.commit(xmpp::unix_seconds_now()))
        co_return co_await refuse(bhttp::status::internal_server_error, "The file cannot be stored");
    metrics::upload_stored(slot.size);
    co_return co_await send(stream, text_response(bhttp::status::created, v, "Stored"), req.keep_alive(), timeout);
}

}  // namespace

std::shared_ptr<upload::UploadService> upload_service_for(const Services& services, std::string_view target) {
    if (!target.starts_with(upload::kPathPrefix) || !services.modules) return nullptr;
    return services.modules->find_shared<upload::UploadService>();
}

template <class Stream>
asio::awaitable<bool> serve_upload(upload::UploadService& service, Stream& stream, beast::flat_buffer& buffer,
                                   bhttp::request_parser<bhttp::empty_body>& parser, std::chrono::seconds timeout) {
    service.sweep_if_due(xmpp::unix_seconds_now());
    const auto& req = parser.get();
    const unsigned v = req.version();
    if (req.method() == bhttp::verb::put) co_return co_await put(service, stream, buffer, parser, timeout);
    // Other methods take no body: one that comes anyway ends the connection.
    const bool keep_alive = req.keep_alive() && parser.is_done();
    switch (req.method()) {
        case bhttp::verb::get:
        case bhttp::verb::head:
            co_return co_await get(service, stream, req, keep_alive, timeout);
        case bhttp::verb::options: {
            // The CORS preflight of a cross-origin PUT (Fetch standard §3.2).
            Response res{bhttp::status::no_content, v};
            res.set(bhttp::field::server, kServerName);
            allow_any_origin(res);
            res.set(bhttp::field::access_control_allow_methods, kAllowedMethods);
            res.set(bhttp::field::access_control_allow_headers, "Content-Type");
            res.set(bhttp::field::access_control_max_age, "86400");
            res.set(bhttp::field::allow, kAllowedMethods);
            res.prepare_payload();
            co_return co_await send(stream, std::move(res), keep_alive, timeout);
        }
        default: {
            Response res = text_response(bhttp::status::method_not_allowed, v, "Only GET, HEAD, PUT and OPTIONS");
            res.set(bhttp::field::allow, kAllowedMethods);
            co_return co_await send(stream, std::move(res), keep_alive, timeout);
        }
    }
}

template asio::awaitable<bool> serve_upload(upload::UploadService&, beast::tcp_stream&, beast::flat_buffer&,
                                            bhttp::request_parser<bhttp::empty_body>&, std::chrono::seconds);
template asio::awaitable<bool> serve_upload(upload::UploadService&, asio::ssl::stream<beast::tcp_stream>&,
                                            beast::flat_buffer&, bhttp::request_parser<bhttp::empty_body>&,
                                            std::chrono::seconds);

}  // namespace server::http
