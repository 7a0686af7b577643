#include "xmpp/data_form.hpp"

#include <string>

#include "xmpp/namespaces.hpp"

namespace xmpp::form {

Element field(std::string_view var, std::string_view type, std::string_view label) {
    Element f("field", std::string(ns::data_forms));
    f.append_attr("var", std::string(var));
    f.append_attr("type", std::string(type));
    if (!label.empty()) f.append_attr("label", std::string(label));
    return f;
}

void add_value(Element& field, std::string_view value) {
    Element& v = field.add_child(Element("value", std::string(ns::data_forms)));
    if (!value.empty()) v.add_text(std::string(value));
}

void add_option(Element& field, std::string_view value, std::string_view label) {
    Element& option = field.add_child(Element("option", std::string(ns::data_forms)));
    if (!label.empty()) option.append_attr("label", std::string(label));
    add_value(option, value);
}

std::optional<bool> parse_boolean(std::string_view value) {
    if (value == "1" || value == "true") return true;
    if (value == "0" || value == "false") return false;
    return std::nullopt;
}

}  // namespace xmpp::form
