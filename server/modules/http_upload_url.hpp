// The URLs of HTTP file upload (XEP-0363, module http_upload): what a slot
// is, the PUT and GET targets made for it, and the checks a PUT target must
// pass before anything is written. A slot's PUT target carries every term of
// the slot (owner, size, content type, end of validity) in its query, signed
// with HMAC-SHA256 under the server's upload secret, so the HTTP listener
// needs no table of handed-out slots: a target it can verify is one the
// module issued. The GET target is the file's path alone: its 128-bit
// random id is what makes it unguessable.
//
//   PUT /upload/ID/NAME?o=OWNER&s=SIZE&t=TYPE&e=EXPIRES&sig=HEX
//   GET /upload/ID/NAME
//
// ID: 32 lower-case hex digits; NAME: the file name, percent-encoded.
// Pure code: no I/O, no state beyond the secret; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/result.hpp"

namespace server::upload {

inline constexpr std::string_view kPathPrefix = "/upload/";
inline constexpr std::size_t kIdLength = 32;          // hex digits: 128 random bits
inline constexpr std::size_t kMaxFilenameBytes = 255;  // a name most file systems can hold
inline constexpr std::size_t kMaxContentTypeBytes = 255;

struct Slot {
    std::string id;            // kIdLength hex digits
    std::string filename;      // as the client named it; passes valid_filename()
    std::uint64_t size = 0;    // the exact length of the PUT body
    std::string content_type;  // the PUT's Content-Type; empty: the client named none, any is taken
    std::string owner;         // bare JID of the account that asked for it
    std::int64_t expires = 0;  // unix seconds; no PUT is taken after it

    friend bool operator==(const Slot&, const Slot&) = default;
};

// Where a slot's file lives, from a GET target (or the path of a PUT one).
struct FileRef {
    std::string id;
    std::string filename;

    friend bool operator==(const FileRef&, const FileRef&) = default;
};

// A name a file may be stored and served under: 1..255 bytes of UTF-8
// without control characters, '/', '\\', and not "." or "..".
bool valid_filename(std::string_view name);
// A MIME type "type/subtype" (RFC 2045 tokens) with optional parameters, in
// printable ASCII, at most 255 bytes.
bool valid_content_type(std::string_view type);
// A random slot id (kIdLength hex digits).
std::string random_id();

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view text);
// nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

// "/upload/ID/NAME" of a target (its query, if any, ignored); nullopt for
// anything else: another prefix, a malformed id, an invalid name once
// decoded, extra path segments.
std::optional<FileRef> parse_file_target(std::string_view target);

enum class PutRefusal {
    malformed,  // not an upload target, or a query without the slot's terms
    signature,  // terms not signed by this server (or altered since)
    expired,    // signed, but its time is over
};

class UrlSigner {
public:
    // `secret`: raw bytes; the server's upload secret.
    explicit UrlSigner(std::string secret) : secret_(std::move(secret)) {}

    // "/upload/ID/NAME" of a slot.
    static std::string get_path(const Slot& slot);
    // get_path() + the signed query.
    std::string put_target(const Slot& slot) const;
    // The slot a PUT target stands for, when the server signed it and it is
    // still valid at `now` (unix seconds).
    xmpp::Result<Slot, PutRefusal> verify_put(std::string_view target, std::int64_t now) const;

private:
    std::string signature(const Slot& slot) const;  // lower-case hex
    std::string secret_;
};

}  // namespace server::upload
