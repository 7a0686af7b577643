#include "server/modules/push_protocol.hpp"

#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules::push {

namespace {

xmpp::Result<std::string, std::string> service_of(const xmpp::Element& request) {
    const std::string* jid = request.attr("jid");
    if (jid == nullptr || jid->empty()) return xmpp::fail(std::string("The 'jid' of the app server is missing"));
    auto parsed = xmpp::Jid::parse(*jid);
    if (!parsed) return xmpp::fail("'" + *jid + "' is not a JID");
    return parsed->full();
}

// The FORM_TYPE of a submitted form: its hidden field's first value.
std::string form_type(const xmpp::Element& form) {
    for (const auto& field : form.children())
        if (!field.is_text() && field.name() == "field" && field.attr_or("var") == "FORM_TYPE")
            return field.child_text("value", xmpp::ns::data_forms);
    return {};
}

}  // namespace

xmpp::Result<Registration, std::string> parse_enable(const xmpp::Element& enable, const std::string& resource) {
    auto service = service_of(enable);
    if (!service) return xmpp::fail(service.error());
    Registration r{*service, std::string(enable.attr_or("node")), resource, std::nullopt};
    if (const xmpp::Element* form = enable.child("x", xmpp::ns::data_forms)) {
        if (form->attr_or("type") != "submit")
            return xmpp::fail(std::string("The publish options must be a form of type 'submit'"));
        if (form_type(*form) != xmpp::ns::pubsub_publish_options)
            return xmpp::fail("The publish options need the FORM_TYPE " + std::string(xmpp::ns::pubsub_publish_options));
        r.options = *form;
    }
    return r;
}

xmpp::Result<Disable, std::string> parse_disable(const xmpp::Element& disable) {
    auto service = service_of(disable);
    if (!service) return xmpp::fail(service.error());
    Disable d{*service, std::nullopt};
    if (const std::string* node = disable.attr("node")) d.node = *node;
    return d;
}

std::string document_key(const std::string& service, const std::string& node) {
    // A JID has no space; a node may: the first space ends the service.
    return service + ' ' + node;
}

std::string to_document(const Registration& registration) {
    xmpp::Element doc("registration", std::string(xmpp::ns::push));
    doc.set_attr("jid", registration.service);
    doc.set_attr("node", registration.node);
    doc.set_attr("resource", registration.resource);
    if (registration.options) doc.add_child(*registration.options);
    return xmpp::to_string(doc);
}

std::optional<Registration> from_document(const std::string& xml) {
    auto doc = xmpp::parse_stored(xml);
    if (!doc || doc->name() != "registration" || doc->xmlns() != xmpp::ns::push) return std::nullopt;
    Registration r{std::string(doc->attr_or("jid")), std::string(doc->attr_or("node")),
                   std::string(doc->attr_or("resource")), std::nullopt};
    if (r.service.empty()) return std::nullopt;
    if (const xmpp::Element* form = doc->child("x", xmpp::ns::data_forms)) r.options = *form;
    return r;
}

xmpp::Element notification(const xmpp::Jid& account, const Registration& registration, const Summary& summary) {
    xmpp::Element iq("iq", std::string(xmpp::ns::client));
    iq.set_attr("type", "set");
    iq.set_attr("from", account.bare_string());
    iq.set_attr("to", registration.service);
    xmpp::Element& pubsub = iq.add_child(xmpp::Element("pubsub", std::string(xmpp::ns::pubsub)));
    xmpp::Element& publish = pubsub.add_child(xmpp::Element("publish", std::string(xmpp::ns::pubsub)));
    if (!registration.node.empty()) publish.set_attr("node", registration.node);
    xmpp::Element& item = publish.add_child(xmpp::Element("item", std::string(xmpp::ns::pubsub)));
    xmpp::Element& note = item.add_child(xmpp::Element("notification", std::string(xmpp::ns::push)));
    xmpp::Element& form = note.add_child(xmpp::Element("x", std::string(xmpp::ns::data_forms)));
    form.set_attr("type", "submit");
    auto add = [&form](std::string_view var, std::string_view value) {
        xmpp::Element& field = form.add_child(xmpp::Element("field", std::string(xmpp::ns::data_forms)));
        field.set_attr("var", std::string(var));
        xmpp::form::add_value(field, value);
    };
    add("FORM_TYPE", xmpp::ns::push_summary);
    // Each notification is about the one message that caused it.
    add("message-count", "1");
    if (!summary.last_sender.empty()) add("last-message-sender", summary.last_sender);
    if (!summary.last_body.empty()) add("last-message-body", summary.last_body);
    if (registration.options) {
        xmpp::Element& options = pubsub.add_child(xmpp::Element("publish-options", std::string(xmpp::ns::pubsub)));
        options.add_child(*registration.options);
    }
    return iq;
}

bool wakes_the_device(const xmpp::Element& message) {
    if (message.attr_or("type") == "error" || message.attr_or("type") == "groupchat") return false;
    for (const auto& child : message.children()) {
        if (child.is_text()) continue;
        if (child.name() == "body" && child.xmlns() == xmpp::ns::client) return true;
        if (child.name() == "encrypted") return true;  // OMEMO (both namespaces), OX
    }
    return false;
}

}  // namespace server::modules::push
