#include "xmpp/contact_addresses.hpp"

#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"

namespace xmpp::contact {

namespace {

Element field(std::string_view var, std::string_view type, const std::vector<std::string>& values) {
    Element f = form::field(var, type);
    for (const std::string& v : values) form::add_value(f, v);
    return f;
}

}  // namespace

bool Addresses::empty() const {
    for (const Kind& kind : kinds)
        if (!(this->*kind.list).empty()) return false;
    return true;
}

bool is_contact_uri(std::string_view uri) {
    if (uri.size() > max_address_bytes) return false;
    std::string_view rest;
    for (std::string_view scheme : {"mailto:", "xmpp:", "https://"}) {
        if (uri.starts_with(scheme)) rest = uri.substr(scheme.size());
    }
    if (rest.empty()) return false;
    for (unsigned char c : uri)
        if (c <= 0x20 || c == 0x7f) return false;
    return true;
}

Element serverinfo_form(const Addresses& addresses) {
    Element form("x", std::string(xmpp::ns::data_forms));
    form.set_attr("type", "result");
    form.add_child(field("FORM_TYPE", "hidden", {std::string(xmpp::ns::serverinfo)}));
    for (const Kind& kind : kinds) {
        const auto& list = addresses.*kind.list;
        if (!list.empty()) form.add_child(field(kind.field, "list-multi", list));
    }
    return form;
}

}  // namespace xmpp::contact
