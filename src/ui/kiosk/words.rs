//! What the kiosk's own screens say, in the languages an admin can choose.

use crate::kiosk::Language;

/// The kiosk's sentences in one language.
#[derive(Debug)]
pub struct Words {
    /// The welcome screen's heading (when the admin wrote no welcome text).
    pub welcome: &'static str,
    /// What the visitor should know before starting.
    pub privacy: &'static str,
    /// The button that starts a session.
    pub start: &'static str,
    /// The button that ends a session.
    pub end: &'static str,
    /// The idle warning; `{}` is the seconds left.
    pub idle: &'static str,
    /// The button that keeps the session.
    pub still_here: &'static str,
}

const EN: Words = Words {
    welcome: "Welcome! Ask the AI assistant anything.",
    privacy: "Nothing you type or attach is kept: your session is wiped when you press End session or after a while without use.",
    start: "Start",
    end: "End session",
    idle: "No activity: this session and everything in it will be wiped in {} s.",
    still_here: "I'm still here",
};

const DE: Words = Words {
    welcome: "Willkommen! Fragen Sie den KI-Assistenten, was Sie möchten.",
    privacy: "Nichts, was Sie eingeben oder anhängen, wird behalten: Die Sitzung wird gelöscht, wenn Sie „Sitzung beenden“ drücken oder eine Weile nichts tun.",
    start: "Starten",
    end: "Sitzung beenden",
    idle: "Keine Aktivität: Diese Sitzung wird mit allem Inhalt in {} s gelöscht.",
    still_here: "Ich bin noch da",
};

const FR: Words = Words {
    welcome: "Bienvenue ! Posez vos questions à l'assistant IA.",
    privacy: "Rien de ce que vous tapez ou joignez n'est conservé : la session est effacée quand vous appuyez sur Terminer la session ou après un moment d'inactivité.",
    start: "Commencer",
    end: "Terminer la session",
    idle: "Aucune activité : cette session et tout son contenu seront effacés dans {} s.",
    still_here: "Je suis encore là",
};

const ES: Words = Words {
    welcome: "¡Bienvenido! Pregunte lo que quiera al asistente de IA.",
    privacy: "No se guarda nada de lo que escriba o adjunte: la sesión se borra al pulsar Terminar sesión o tras un rato sin uso.",
    start: "Empezar",
    end: "Terminar sesión",
    idle: "Sin actividad: esta sesión y todo su contenido se borrarán en {} s.",
    still_here: "Sigo aquí",
};

/// The sentences of `language`.
#[must_use]
pub fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
    }
}
