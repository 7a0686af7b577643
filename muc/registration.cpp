#include "muc/registration.hpp"

#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"

namespace muc {

namespace {

using xmpp::StanzaError;

constexpr std::string_view kNick = "muc#register_roomnick";

}  // namespace

xmpp::Result<RegistrationRequest, Error> parse_registration(const xmpp::Element& query, const xmpp::Jid& room,
                                                            std::size_t max_nick_bytes) {
    if (query.child("remove", xmpp::ns::register_query))
        return RegistrationRequest{RegistrationRequest::Kind::remove, {}};
    const xmpp::Element* x = query.child("x", xmpp::ns::data_forms);
    if (!x) return xmpp::fail(Error{StanzaError::bad_request, "Registration needs the muc#register form"});
    const std::string_view type = x->attr_or("type");
    if (type == "cancel") return RegistrationRequest{RegistrationRequest::Kind::cancel, {}};
    if (type != "submit") return xmpp::fail(Error{StanzaError::bad_request, "Expected a form of type submit"});
    std::optional<std::string> form_type, nick;
    for (const auto& field : x->children()) {
        if (field.is_text() || field.name() != "field" || field.xmlns() != xmpp::ns::data_forms) continue;
        const std::string_view var = field.attr_or("var");
        std::optional<std::string>* into = var == "FORM_TYPE" ? &form_type : var == kNick ? &nick : nullptr;
        if (!into) continue;
        if (*into) return xmpp::fail(Error{StanzaError::bad_request, std::string(var) + ": given twice"});
        into->emplace(field.child_text("value", xmpp::ns::data_forms));
    }
    if (form_type && *form_type != xmpp::ns::muc_register)
        return xmpp::fail(Error{StanzaError::bad_request, "FORM_TYPE is not muc#register"});
    if (!nick || nick->empty()) return xmpp::fail(Error{StanzaError::not_acceptable, "A nickname is needed"});
    auto occupant = room.with_resource(*nick);
    if (!occupant) return xmpp::fail(Error{StanzaError::not_acceptable, "That is not a usable nickname"});
    if (occupant->resource().size() > max_nick_bytes)
        return xmpp::fail(Error{StanzaError::not_acceptable, "The nickname is too long"});
    return RegistrationRequest{RegistrationRequest::Kind::register_nick, occupant->resource()};
}

xmpp::Element registration_query(const std::optional<std::string>& nick) {
    xmpp::Element query("query", std::string(xmpp::ns::register_query));
    if (nick) {
        query.add_child(xmpp::Element("registered", std::string(xmpp::ns::register_query)));
        query.add_child(xmpp::Element("username", std::string(xmpp::ns::register_query))).add_text(*nick);
    } else {
        query.add_child(xmpp::Element("instructions", std::string(xmpp::ns::register_query)))
            .add_text("Register a nickname with this room: nobody else may use it here, and you become a member.");
    }
    xmpp::Element& x = query.add_child(xmpp::Element("x", std::string(xmpp::ns::data_forms)));
    x.set_attr("type", "form");
    x.add_child(xmpp::Element("title", std::string(xmpp::ns::data_forms))).add_text("Nickname registration");
    xmpp::Element form_type = xmpp::form::field("FORM_TYPE", "hidden", {});
    xmpp::form::add_value(form_type, xmpp::ns::muc_register);
    x.add_child(std::move(form_type));
    xmpp::Element f = xmpp::form::field(kNick, "text-single", "Nickname");
    f.add_child(xmpp::Element("required", std::string(xmpp::ns::data_forms)));
    if (nick) xmpp::form::add_value(f, *nick);
    x.add_child(std::move(f));
    return query;
}

}  // namespace muc
