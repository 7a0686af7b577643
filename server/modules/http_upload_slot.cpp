#include "server/modules/http_upload_slot.hpp"

#include <charconv>

#include "server/modules/http_upload_url.hpp"
#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"

namespace server::upload {

namespace {

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 19) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

SlotRefusal refuse(xmpp::StanzaError condition, std::string text) { return {condition, std::move(text)}; }

}  // namespace

xmpp::Result<SlotRequest, SlotRefusal> parse_slot_request(const xmpp::Element& request, std::uint64_t max_file_size) {
    const std::string* filename = request.attr("filename");
    const std::string* size_text = request.attr("size");
    if (!filename || !size_text)
        return xmpp::fail(refuse(xmpp::StanzaError::bad_request, "filename and size are required"));
    const auto size = parse_size(*size_text);
    if (!size) return xmpp::fail(refuse(xmpp::StanzaError::bad_request, "size is not a number of bytes"));
    if (!valid_filename(*filename))
        return xmpp::fail(refuse(xmpp::StanzaError::not_acceptable,
                                 "The file name must be 1 to 255 bytes of UTF-8 without '/', '\\' or controls"));
    if (*size == 0) return xmpp::fail(refuse(xmpp::StanzaError::not_acceptable, "The file is empty"));
    if (*size > max_file_size) {
        SlotRefusal r = refuse(xmpp::StanzaError::not_acceptable,
                               "File too large. The maximum file size is " + std::to_string(max_file_size) + " bytes");
        r.max_file_size = max_file_size;
        return xmpp::fail(std::move(r));
    }
    std::string type(request.attr_or("content-type"));
    if (!type.empty() && !valid_content_type(type))
        return xmpp::fail(refuse(xmpp::StanzaError::not_acceptable, "The content type is not a MIME type"));
    return SlotRequest{*filename, *size, std::move(type)};
}

std::optional<SlotRefusal> check_quota(std::uint64_t size, std::uint64_t account_bytes, std::uint64_t host_bytes,
                                       const SlotLimits& limits) {
    if (limits.quota_per_account && (account_bytes > limits.quota_per_account ||
                                     size > limits.quota_per_account - account_bytes))
        return refuse(xmpp::StanzaError::resource_constraint,
                      "Quota reached: your files take " + std::to_string(account_bytes) + " of " +
                          std::to_string(limits.quota_per_account) + " bytes");
    if (limits.quota_per_host && (host_bytes > limits.quota_per_host || size > limits.quota_per_host - host_bytes))
        return refuse(xmpp::StanzaError::resource_constraint, "The server's upload storage is full");
    return std::nullopt;
}

xmpp::Element slot_element(const std::string& put_url, const std::string& get_url) {
    const std::string ns(xmpp::ns::http_upload);
    xmpp::Element slot("slot", ns);
    slot.add_child(xmpp::Element("put", ns)).set_attr("url", put_url);
    slot.add_child(xmpp::Element("get", ns)).set_attr("url", get_url);
    return slot;
}

xmpp::Element slot_error_reply(const xmpp::Element& iq, const SlotRefusal& refusal) {
    const auto type = refusal.condition == xmpp::StanzaError::resource_constraint
                          ? std::optional<xmpp::ErrorType>(xmpp::ErrorType::wait)
                          : std::nullopt;
    xmpp::Element reply = xmpp::make_error_reply(iq, refusal.condition, refusal.text, type);
    if (refusal.max_file_size) {
        const std::string ns(xmpp::ns::http_upload);
        if (xmpp::Element* error = reply.child("error")) {
            xmpp::Element& too_large = error->add_child(xmpp::Element("file-too-large", ns));
            too_large.add_child(xmpp::Element("max-file-size", ns)).add_text(std::to_string(*refusal.max_file_size));
        }
    }
    return reply;
}

xmpp::Element service_info_form(std::uint64_t max_file_size) {
    const std::string ns(xmpp::ns::data_forms);
    xmpp::Element form("x", ns);
    form.set_attr("type", "result");
    xmpp::Element form_type = xmpp::form::field("FORM_TYPE", "hidden");
    xmpp::form::add_value(form_type, xmpp::ns::http_upload);
    form.add_child(std::move(form_type));
    xmpp::Element size = xmpp::form::field("max-file-size", "text-single");
    xmpp::form::add_value(size, std::to_string(max_file_size));
    form.add_child(std::move(size));
    return form;
}

}  // namespace server::upload
