#include "xmpp/caps.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <set>

#include "xmpp/namespaces.hpp"

namespace xmpp::caps {

namespace {

// IANA hash names (XEP-0115 §5.1 'hash') to OpenSSL digest names. MD5 and
// the older ones are left out: a ver that cheap to collide would let one
// client poison the cache for others.
const char* openssl_digest(std::string_view hash) {
    if (hash == "sha-1") return "SHA1";
    if (hash == "sha-224") return "SHA224";
    if (hash == "sha-256") return "SHA256";
    if (hash == "sha-384") return "SHA384";
    if (hash == "sha-512") return "SHA512";
    if (hash == "sha3-256") return "SHA3-256";
    if (hash == "sha3-512") return "SHA3-512";
    return nullptr;
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::vector<std::string> values_of(const Element& field) {
    std::vector<std::string> values;
    for (const auto& v : field.children())
        if (!v.is_text() && v.name() == "value" && v.xmlns() == ns::data_forms) values.push_back(v.text());
    return values;
}

// One XEP-0128 form; nullopt (with `error` empty) for a form left out, or
// with `error` set for an ill-formed one.
std::optional<Form> parse_form(const Element& x, std::string& error) {
    std::optional<std::string> form_type;
    Form form;
    for (const auto& field : x.children()) {
        if (field.is_text() || field.name() != "field" || field.xmlns() != ns::data_forms) continue;
        const std::string* var = field.attr("var");
        if (!var) continue;
        std::vector<std::string> values = values_of(field);
        if (values.size() > max_values) {
            error = "a field has too many values";
            return std::nullopt;
        }
        if (*var == "FORM_TYPE") {
            if (form_type || values.empty()) {
                error = "a form has more than one FORM_TYPE";
                return std::nullopt;
            }
            for (const auto& value : values)
                if (value != values.front()) {
                    error = "a FORM_TYPE has differing values";
                    return std::nullopt;
                }
            form_type = values.front();
            continue;
        }
        if (form.fields.size() == max_fields) {
            error = "a form has too many fields";
            return std::nullopt;
        }
        form.fields.push_back({*var, std::move(values)});
    }
    if (!form_type) return std::nullopt;
    form.form_type = std::move(*form_type);
    return form;
}

}  // namespace

bool DiscoInfo::has_feature(std::string_view var) const {
    return std::find(features.begin(), features.end(), var) != features.end();
}

Result<DiscoInfo, std::string> parse_disco_info(const Element& query) {
    if (query.name() != "query" || query.xmlns() != ns::disco_info) return fail(std::string("not a disco#info query"));
    DiscoInfo info;
    std::set<std::tuple<std::string, std::string, std::string, std::string>> identities;
    std::set<std::string> features;
    std::set<std::string> form_types;
    for (const auto& child : query.children()) {
        if (child.is_text()) continue;
        if (child.xmlns() == ns::disco_info && child.name() == "identity") {
            Identity id{std::string(child.attr_or("category")), std::string(child.attr_or("type")),
                        std::string(child.attr_or("xml:lang")), std::string(child.attr_or("name"))};
            if (id.category.empty() || id.type.empty()) return fail(std::string("an identity lacks category or type"));
            if (!identities.emplace(id.category, id.type, id.lang, id.name).second)
                return fail(std::string("two identical identities"));
            if (info.identities.size() == max_identities) return fail(std::string("too many identities"));
            info.identities.push_back(std::move(id));
        } else if (child.xmlns() == ns::disco_info && child.name() == "feature") {
            const std::string* var = child.attr("var");
            if (!var) return fail(std::string("a feature lacks var"));
            if (!features.insert(*var).second) return fail(std::string("two identical features"));
            if (info.features.size() == max_features) return fail(std::string("too many features"));
            info.features.push_back(*var);
        } else if (child.xmlns() == ns::data_forms && child.name() == "x") {
            std::string error;
            auto form = parse_form(child, error);
            if (!error.empty()) return fail(std::move(error));
            if (!form) continue;
            if (!form_types.insert(form->form_type).second) return fail(std::string("two forms with one FORM_TYPE"));
            if (info.forms.size() == max_forms) return fail(std::string("too many forms"));
            info.forms.push_back(std::move(*form));
        }
    }
    return info;
}

Element to_element(const DiscoInfo& info) {
    const std::string disco(ns::disco_info);
    Element query("query", disco);
    for (const auto& id : info.identities) {
        auto& identity = query.add_child(Element("identity", disco));
        identity.set_attr("category", id.category);
        identity.set_attr("type", id.type);
        if (!id.lang.empty()) identity.set_attr("xml:lang", id.lang);
        if (!id.name.empty()) identity.set_attr("name", id.name);
    }
    for (const auto& var : info.features) query.add_child(Element("feature", disco)).set_attr("var", var);
    const std::string forms(ns::data_forms);
    for (const auto& form : info.forms) {
        auto& x = query.add_child(Element("x", forms));
        x.set_attr("type", "result");
        auto& form_type = x.add_child(Element("field", forms));
        form_type.set_attr("var", "FORM_TYPE");
        form_type.set_attr("type", "hidden");
        form_type.add_child(Element("value", forms)).add_text(form.form_type);
        for (const auto& field : form.fields) {
            auto& f = x.add_child(Element("field", forms));
            f.set_attr("var", field.var);
            for (const auto& value : field.values) f.add_child(Element("value", forms)).add_text(value);
        }
    }
    return query;
}

std::string verification_string(const DiscoInfo& info) {
    std::string s;
    std::vector<const Identity*> identities;
    for (const auto& id : info.identities) identities.push_back(&id);
    std::sort(identities.begin(), identities.end(), [](const Identity* a, const Identity* b) {
        return std::tie(a->category, a->type, a->lang, a->name) < std::tie(b->category, b->type, b->lang, b->name);
    });
    for (const Identity* id : identities) s += id->category + '/' + id->type + '/' + id->lang + '/' + id->name + '<';

    std::vector<std::string> features = info.features;
    std::sort(features.begin(), features.end());
    for (const auto& var : features) s += var + '<';

    std::vector<const Form*> forms;
    for (const auto& form : info.forms) forms.push_back(&form);
    std::sort(forms.begin(), forms.end(), [](const Form* a, const Form* b) { return a->form_type < b->form_type; });
    for (const Form* form : forms) {
        s += form->form_type + '<';
        std::vector<FormField> fields = form->fields;
        std::sort(fields.begin(), fields.end(), [](const FormField& a, const FormField& b) { return a.var < b.var; });
        for (auto& field : fields) {
            s += field.var + '<';
            std::sort(field.values.begin(), field.values.end());
            for (const auto& value : field.values) s += value + '<';
        }
    }
    return s;
}

bool supports_hash(std::string_view hash) { return openssl_digest(hash) != nullptr; }

std::optional<std::string> ver(const DiscoInfo& info, std::string_view hash) {
    const char* name = openssl_digest(hash);
    if (!name) return std::nullopt;
    std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, name, nullptr), EVP_MD_free);
    if (!md) return std::nullopt;  // this OpenSSL lacks it
    const std::string s = verification_string(info);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(s.data(), s.size(), digest, &size, md.get(), nullptr) != 1) return std::nullopt;
    return base64(digest, size);
}

std::optional<Caps> parse(const Element& stanza) {
    const Element* c = stanza.child("c", ns::caps);
    if (!c) return std::nullopt;
    const std::string* hash = c->attr("hash");
    const std::string* node = c->attr("node");
    const std::string* ver = c->attr("ver");
    if (!hash || !node || !ver || ver->empty() || node->size() > max_node_bytes || ver->size() > max_ver_bytes ||
        hash->size() > 32)
        return std::nullopt;
    return Caps{*hash, *node, *ver};
}

Element to_element(const Caps& caps) {
    Element c("c", std::string(ns::caps));
    c.set_attr("hash", caps.hash);
    c.set_attr("node", caps.node);
    c.set_attr("ver", caps.ver);
    return c;
}

}  // namespace xmpp::caps
