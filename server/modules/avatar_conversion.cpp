#include "server/modules/avatar_conversion.hpp"

#include <openssl/evp.h>

#include <charconv>

#include "auth/scram.hpp"
#include "xmpp/namespaces.hpp"

namespace server::modules::avatar {

namespace {

std::string sha1_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha1(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::optional<unsigned> number_attr(const xmpp::Element& e, std::string_view name) {
    const std::string* text = e.attr(name);
    unsigned value = 0;
    if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc{})
        return std::nullopt;
    return value;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

xmpp::Element vcard_child(std::string name, std::string text) {
    xmpp::Element e(std::move(name), std::string(xmpp::ns::vcard));
    e.add_text(std::move(text));
    return e;
}

}  // namespace

std::optional<Avatar> from_image(std::string_view base64, std::string type) {
    std::string compact;
    compact.reserve(base64.size());
    for (char c : base64)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact += c;
    auto bytes = auth::base64_decode(compact);
    if (!bytes || bytes->empty()) return std::nullopt;
    Avatar a;
    a.id = sha1_hex(*bytes);
    a.type = type.empty() ? "image/png" : std::move(type);
    a.base64 = std::move(compact);
    a.bytes = bytes->size();
    return a;
}

std::optional<Info> stored_info(const xmpp::Element& metadata) {
    if (metadata.name() != "metadata" || metadata.xmlns() != xmpp::ns::avatar_metadata) return std::nullopt;
    for (const auto& e : metadata.children()) {
        if (e.is_text() || e.name() != "info" || e.xmlns() != xmpp::ns::avatar_metadata || e.attr("url")) continue;
        const std::string* id = e.attr("id");
        if (!id || id->empty()) continue;
        Info info{lower(*id), std::string(e.attr_or("type", "image/png")), 0, number_attr(e, "width"),
                  number_attr(e, "height")};
        info.bytes = number_attr(e, "bytes").value_or(0);
        return info;
    }
    return std::nullopt;
}

bool disables_avatar(const xmpp::Element& metadata) {
    return metadata.name() == "metadata" && metadata.xmlns() == xmpp::ns::avatar_metadata &&
           !metadata.child("info", xmpp::ns::avatar_metadata);
}

std::optional<Avatar> from_pep(const Info& info, const xmpp::Element& data) {
    if (data.name() != "data" || data.xmlns() != xmpp::ns::avatar_data) return std::nullopt;
    auto avatar = from_image(data.text(), info.type);
    if (!avatar || avatar->id != info.id) return std::nullopt;
    avatar->width = info.width;
    avatar->height = info.height;
    return avatar;
}

xmpp::Element data_payload(const Avatar& a) {
    xmpp::Element data("data", std::string(xmpp::ns::avatar_data));
    data.add_text(a.base64);
    return data;
}

xmpp::Element metadata_payload(const Avatar& a) {
    xmpp::Element metadata("metadata", std::string(xmpp::ns::avatar_metadata));
    auto& info = metadata.add_child(xmpp::Element("info", std::string(xmpp::ns::avatar_metadata)));
    info.set_attr("bytes", std::to_string(a.bytes));
    info.set_attr("id", a.id);
    info.set_attr("type", a.type);
    if (a.width) info.set_attr("width", std::to_string(*a.width));
    if (a.height) info.set_attr("height", std::to_string(*a.height));
    return metadata;
}

std::optional<Avatar> from_vcard(const xmpp::Element& vcard) {
    if (vcard.name() != "vCard" || vcard.xmlns() != xmpp::ns::vcard) return std::nullopt;
    const xmpp::Element* photo = vcard.child("PHOTO", xmpp::ns::vcard);
    if (!photo) return std::nullopt;
    const xmpp::Element* binval = photo->child("BINVAL", xmpp::ns::vcard);
    if (!binval) return std::nullopt;
    return from_image(binval->text(), photo->child_text("TYPE", xmpp::ns::vcard));
}

xmpp::Element with_photo(xmpp::Element vcard, const std::optional<Avatar>& avatar) {
    auto& children = vcard.children();
    std::erase_if(children, [](const xmpp::Element& e) {
        return !e.is_text() && e.name() == "PHOTO" && e.xmlns() == xmpp::ns::vcard;
    });
    if (avatar) {
        xmpp::Element photo("PHOTO", std::string(xmpp::ns::vcard));
        photo.add_child(vcard_child("TYPE", avatar->type));
        photo.add_child(vcard_child("BINVAL", avatar->base64));
        vcard.add_child(std::move(photo));
    }
    return vcard;
}

}  // namespace server::modules::avatar
