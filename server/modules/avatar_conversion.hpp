// The two ways an account publishes its avatar, and the conversion between
// them (XEP-0398):
//  - XEP-0084 over PEP: the image, base64, in node urn:xmpp:avatar:data and a
//    description in node urn:xmpp:avatar:metadata, both under the item id
//    that is the SHA-1 (hex) of the image bytes; a metadata item without
//    <info/> says "no avatar";
//  - XEP-0153: the image in the account's vCard (<PHOTO><TYPE/><BINVAL/>),
//    its SHA-1 announced in presence.
// Pure code (the avatar module does the I/O): reads either shape into an
// Avatar, checking that the image hashes to its id, and writes the other.
// Any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace server::modules::avatar {

struct Avatar {
    std::string id;      // SHA-1 of the image bytes, lower-case hex
    std::string type;    // MIME type, e.g. image/png
    std::string base64;  // the image, base64 without line breaks
    std::size_t bytes = 0;
    std::optional<unsigned> width, height;

    friend bool operator==(const Avatar&, const Avatar&) = default;
};

// An image given as base64 (line breaks and spaces allowed, as vCards wrap
// BINVAL): the Avatar with its id and size; nullopt when it is not base64 or
// is empty.
std::optional<Avatar> from_image(std::string_view base64, std::string type);

// --- XEP-0084 ---------------------------------------------------------------
// The <info/> of a metadata payload that describes an image stored in the
// data node (one without a url attribute); nullopt when there is none.
struct Info {
    std::string id;
    std::string type;
    std::size_t bytes = 0;
    std::optional<unsigned> width, height;
};
std::optional<Info> stored_info(const xmpp::Element& metadata);
// True for a metadata payload that says the account has no avatar.
bool disables_avatar(const xmpp::Element& metadata);
// The avatar a metadata info and the data item's payload give together;
// nullopt when the data does not hash to the info's id.
std::optional<Avatar> from_pep(const Info& info, const xmpp::Element& data);
xmpp::Element data_payload(const Avatar&);
xmpp::Element metadata_payload(const Avatar&);

// --- XEP-0153 ---------------------------------------------------------------
// The PHOTO of a vCard with inline data (BINVAL); nullopt without one (a
// PHOTO by EXTVAL URL is not converted).
std::optional<Avatar> from_vcard(const xmpp::Element& vcard);
// `vcard` with its PHOTO replaced by `avatar`, or removed when it is nullopt.
xmpp::Element with_photo(xmpp::Element vcard, const std::optional<Avatar>& avatar);

}  // namespace server::modules::avatar
