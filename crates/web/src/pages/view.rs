//! Data the templates draw.

use app::i18n::Lang;

pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    /// The name shown in the header when someone is signed in.
    pub signed_in: Option<String>,
    /// Staff see their workplace in the header instead of a person's pages.
    pub staff: bool,
    pub csrf: String,
    pub demo: bool,
    pub path: String,
}

impl Chrome {
    /// The switch to every other language, each named in itself.
    pub fn other_langs(&self) -> Vec<(&'static str, String)> {
        Lang::all()
            .filter(|l| *l != self.lang)
            .map(|l| (l.code(), l.name()))
            .collect()
    }
}

pub struct Link {
    pub href: String,
    pub text: String,
    pub primary: bool,
}

#[derive(Clone)]
pub struct ErrorItem {
    /// The field the summary links to; `None` for a form-wide problem.
    pub field: Option<String>,
    pub message: String,
}

pub struct RadioOption {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    /// An `<input type>`, or "radio".
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub options: Vec<RadioOption>,
}

impl Field {
    pub fn new(lang: Lang, name: &'static str, label_key: &str, kind: &'static str) -> Self {
        Self {
            name,
            label: lang.t(label_key),
            hint: None,
            kind,
            value: String::new(),
            error: None,
            autocomplete: "",
            inputmode: "",
            options: Vec::new(),
        }
    }

    pub fn hint(mut self, lang: Lang, key: &str) -> Self {
        self.hint = Some(lang.t(key));
        self
    }

    pub fn auto(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn numeric(mut self) -> Self {
        self.inputmode = "numeric";
        self
    }

    pub fn option(mut self, value: &str, label: String) -> Self {
        self.options.push(RadioOption {
            value: value.to_owned(),
            label,
            checked: false,
        });
        self
    }
}

pub struct Section {
    pub legend: Option<String>,
    pub fields: Vec<Field>,
}

pub struct Secondary {
    pub action: String,
    pub label: String,
}

pub struct FormView {
    pub action: String,
    pub lead: Option<String>,
    pub notice: Option<String>,
    pub submit: String,
    pub sections: Vec<Section>,
    pub errors: Vec<ErrorItem>,
    pub secondary: Option<Secondary>,
    pub links: Vec<Link>,
}

impl FormView {
    /// Puts typed values back (never passwords) and attaches field errors.
    pub fn fill(&mut self, values: &std::collections::HashMap<String, String>) {
        for f in self.sections.iter_mut().flat_map(|s| s.fields.iter_mut()) {
            if f.kind == "password" {
                continue;
            }
            if let Some(v) = values.get(f.name) {
                if f.kind == "radio" {
                    for o in &mut f.options {
                        o.checked = &o.value == v;
                    }
                } else {
                    f.value = v.clone();
                }
            }
        }
        for e in &self.errors {
            let Some(name) = &e.field else { continue };
            if let Some(f) = self
                .sections
                .iter_mut()
                .flat_map(|s| s.fields.iter_mut())
                .find(|f| f.name == name)
                && f.error.is_none()
            {
                f.error = Some(e.message.clone());
            }
        }
    }
}

#[derive(askama::Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub form: FormView,
}
