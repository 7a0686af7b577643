// libFuzzer target: the HTTP targets of XEP-0363 uploads
// (server/modules/http_upload_url.hpp), as a client sends them in a PUT or a
// GET request line. Invariants: a target verifies only when it is one the
// signer made for the slot it verifies to (signing that slot again gives a
// target that verifies to the same slot); a parsed file path names a valid
// file name under a hex id, so it can never leave the upload folder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/modules/http_upload_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const server::upload::UrlSigner signer("fuzz upload secret, thirty-two b");
    const std::string_view target(reinterpret_cast<const char*>(data), size);
    if (const auto file = server::upload::parse_file_target(target)) {
        if (!server::upload::valid_filename(file->filename) || file->id.size() != server::upload::kIdLength ||
            file->id.find_first_not_of("0123456789abcdef") != std::string::npos)
            std::abort();
    }
    const auto verified = signer.verify_put(target, 0);
    if (verified.ok()) {
        const auto again = signer.verify_put(signer.put_target(verified.value()), 0);
        if (!again.ok() || !(again.value() == verified.value())) std::abort();
    }
    // A target the signer made always verifies: the input as the slot's
    // content type when it is one (they are percent-encoded into the query).
    const std::string text(target);
    const std::string type = server::upload::valid_content_type(text) ? text : std::string();
    server::upload::Slot slot{"00112233445566778899aabbccddeeff", "f", 1, type, "u@h", 10};
    if (!signer.verify_put(signer.put_target(slot), 0).ok()) std::abort();
    return 0;
}
