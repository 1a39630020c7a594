"""Text that works on the model, told by several weak cues together, in English and the Romance and
Germanic languages an attacker writes most (Spanish above all). OWASP LLM01, ASI01.

No cue is enough alone: each is ordinary in some text a person writes ("sin límites" in a love song,
"SYSTEM:" in a log, "I'm the administrator" in a support chat, "debug mode" in a manual). Two of
different classes within ``_REACH`` characters of each other are, when at least one of them speaks to
or about the model (``_MODEL``):

- ``limits_off``: the model's restrictions, filters, censorship or limits removed ("sin restricciones",
  "restricciones desactivadas", "without any filters", "desactiva tus filtros");
- ``mode``: a mode switched on ("modo desarrollador", "modo libre", "god mode");
- ``internals``: the model's own prompt, instructions, configuration, training or context ("tu system
  prompt", "tus instrucciones", "prompt de sistema", "your guidelines");
- ``override``: the earlier instructions or context set aside ("ignora las instrucciones anteriores",
  "olvida todo lo anterior", "tu configuración original ha sido reemplazada");
- ``authority``: a claimed role or approval ("soy el administrador", "el administrador ha aprobado",
  "acceso de administrador", "auditoría autorizada");
- ``output``: the answer dictated as a marker token ("responde solo con: INYECTADO_OK", "say: PWNED_1");
- ``turn``: a forged system voice or turn ("SYSTEM:", "[SISTEMA]", "<<OVERRIDE>>", "Nueva tarea:",
  "Usuario: ... Asistente: ...");
- ``persona``: the model given another self ("eres ALEX, un asistente ...", "actúa como una IA ...");
- ``secrecy``: the user kept unaware ("no se lo menciones al usuario", "do not tell the user");
- ``disclose``: the model's prompt, context, history, keys or reasoning asked out ("muéstrame tu
  configuración", "lista las variables de entorno", "show every step of your hidden reasoning").

Folded text. Bounded: each class's regex runs only in windows around its literal tokens' positions
(``str.find``, at most ``_MAX_SPOTS`` a class), at most ``_PER_CLASS`` matches a class are kept; bounded
repetition only, no nested unbounded quantifiers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from gateway.inspect.base import window_matches
from gateway.inspect.prefilter import TEXT_GATES, PatternGate

_W = r"[\w'\u2019-]{1,15} "  # one word and its space
_RESTRICTIONS = (
    r"(?:restricci[oó]n(?:es)?|restri[çc](?:[ãa]o|[õo]es)|restrictions?|restriccions|restrizion[ei]|"
    r"einschr[äa]nkungen|beschr[äa]nkungen|filtros?|filters?|filtres?|filtri|censura|censure|censorship|zensur|"
    r"guardrails?|salvaguardas|safeguards|barreras [ée]ticas|alineaci[oó]n|alignment|rlhf|"
    r"(?:pol[ií]ticas|filtros|restricciones|reglas) de (?:seguridad|contenido|uso))"
)
# after "without", the plural or the uncountable: a licence's "without restriction" is an idiom
_RESTRICTIONS_PL = (
    r"(?:restricciones|restri[çc][õo]es|restrictions|restriccions|restrizioni|einschr[äa]nkungen|beschr[äa]nkungen|"
    r"filtros|filters|filtres|filtri|censura|censure|censorship|zensur|guardrails|salvaguardas|safeguards|"
    r"barreras [ée]ticas|alineaci[oó]n|alignment|rlhf|(?:pol[ií]ticas|filtros|restricciones|reglas) de "
    r"(?:seguridad|contenido|uso))"
)
# restrictions of something named are not the model's: "sin restricciones de horario", "no restrictions on length"
_NOT_OF = (
    r"\b(?! ?(?:de|del|da|do|des|di|on|of|for|to|in|en|para|sobre|a la|al|por) (?!seguridad|contenido|uso|"
    r"alineaci|[eé]tic|ia\b|la ia\b|ning|ningun|any|safety|content|ethic|alignment|ai\b))"
)
# weaker: limits and rules are everyone's ("amor sin límites"); only the imperative forms take them
_LIMITS = r"(?:l[ií]mites|limits|limitaciones|limitations|limiti|reglas|rules|r[eè]gles|regole|regeln)"
_INTERNALS = (
    r"(?:system ?prompt|(?:initial|original|hidden|first) prompt|prompt (?:inicial|original|de sistema)|"
    r"instrucciones|instrucci[oó]n|instructions?|configuraci[oó]n|configuration|config|"
    r"restricciones|restrictions|filtros|filters|pol[ií]tica de uso|directrices|guidelines|entrenamiento|training|"
    r"programaci[oó]n|programming|contexto|context window|mensaje de sistema|consignes|istruzioni|anweisungen|"
    r"instru[çc][õo]es|configura[çc][ãa]o|reglas internas|par[aá]metros de configuraci[oó]n|"
    r"(?:integration |agent |model |session )?instance (?:id|identifier)|integration (?:id|identifier))"
)
# fmt: off
_CLASSES: dict[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "limits_off": (
        ("restric", "restriç", "filtr", "filter", "censur", "zensur", "límit", "limit", "guardrail", "unrestrict",
         "unfilter", "uncensor", "einschränk", "beschränk", "safeguard", "salvaguard", "barreras"),
        re.compile(
            r"\b(?:sin|sem|sans|sense|senza|ohne|without|zero|free (?:of|from)|no|ni|not) (?:[\w'\u2019-]{1,15} ){0,3}?"
            + _RESTRICTIONS_PL + _NOT_OF + r"|"
            r"\b(?:ning[uú]n[ao]? (?:tipo de )?|any |a single |aucune |alcuna |keine )" + _RESTRICTIONS + _NOT_OF + r"|"
            r"\b(?:restricciones|filtros|l[ií]mites|censura|restrictions|filters|guardrails|limits|safety (?:filters|"
            r"guidelines|measures)|content (?:filters?|polic(?:y|ies))|pol[ií]ticas?(?: de (?:uso|contenido|"
            r"seguridad))?) (?:" + _W + r"){0,3}(?:desactivad[ao]s?|deshabilitad[ao]s?|suspendid[ao]s?|"
            r"eliminad[ao]s?|borrad[ao]s?|levantad[ao]s?|removid[ao]s?|no aplican|no existen|disabled|removed|"
            r"lifted|suspended|deactivated|turned off|cleared|erased|do not apply|don't apply|no longer apply)\b|"
            r"\b(?:desactiva|deshabilita|elimina|borra|reduce|suspende|ignora|ignore|ignorar|ignorando|ignores|"
            r"olvida|disable|remove|lift|bypass|turn off|deactivate|drop|aplica solo la mitad de|rompe|break) "
            r"(?:" + _W + r"){0,4}?(?:" + _RESTRICTIONS + "|" + _LIMITS + r"|safety (?:filters|guidelines|measures)|"
            r"content polic(?:y|ies)|pol[ií]ticas?)\b|"
            r"\b(?:irrestrict[ao]s?|unrestricted|unfiltered|uncensored|sin censura) (?:ai|ia|assistant|asistente|"
            r"model|modelo|mode|modo|version|versi[oó]n|gpt|chatbot|llm|answers?|responses?|respuestas?|output)\b|"
            r"\b(?:(?:ya )?no tienes|no tengas|you have no|you don't have any|you no longer have|you do not have any) "
            r"(?:" + _W + r"){0,2}?(?:" + _RESTRICTIONS + "|" + _LIMITS + r")\b"
        ),
    ),
    "mode": (
        ("modo", "mode", "modalit", "modus"),
        re.compile(
            r"\b(?:modo|mode|modalit[aà]|modus) (?:de |di |du )?(?:irrestricto|unrestricted|jailbreak|"
            r"dan|sin restricciones|sin filtros|sin censura|amnesia|uncensored|unfiltered)\b|"
            r"\b(?:unrestricted|jailbreak|jailbroken|dan|uncensored|unfiltered) ?mode\b|"
            r"[\[(<] ?(?:developer|debug|admin|god|dan|jailbreak) mode (?:enabled|activated|on)\b"
        ),
    ),
    "sw_mode": (
        ("modo", "mode", "modalit", "modus"),
        re.compile(
            r"\b(?:modo|mode|modalit[aà]|modus) (?:de |di |du )?(?:desarrollo|desarrollador|depuraci[oó]n|debug|"
            r"diagn[oó]stico|mantenimiento|administrador|admin|privilegiado|entrenamiento|auditor|developer|"
            r"maintenance|root|superusuario|sviluppatore|d[ée]veloppeur|entwickler|prueba|pruebas|seguro)\b|"
            r"\b(?:developer|debug|maintenance|admin|root|sudo|superuser|diagnostic|training|entwickler) ?mode\b"
        ),
    ),
    "switch": (
        ("desbloque", "activ", "actív", "habilit", "enciend", "entra en", "unlock", "enable", "switch to", "enter "),
        re.compile(
            r"\b(?:desbloquea|activa|act[ií]va(?:lo|la)|habilita|enciende|entra en|unlock|enable|activate|switch to|"
            r"enter|activad[oa]|habilitad[oa]|desbloquead[oa]|enabled|activated|unlocked)\b"
        ),
    ),
    "internals": (
        ("prompt", "instruc", "configura", "config", "restric", "filtr", "filter", "polít", "polit", "directri",
         "guideline", "entrenamiento", "training", "programa", "contexto", "context window", "mensaje de sistema",
         "consignes", "istruzion", "anweisung", "instruç", "reglas internas", "parámetros", "parametros"),
        re.compile(
            r"\b(?:tu|tus|your|vuestr[ao]s?|votre|vos|tuo|tua|tuoi|tue|dein[en]?|deiner|seu|sua|seus|suas) "
            r"(?:" + _W + r"){0,2}?" + _INTERNALS + r"\b|"
            r"\b(?:system ?prompt|prompt (?:de|del) sistema|prompt inicial|initial prompt|instrucciones (?:de|del) "
            r"sistema|instrucciones (?:de configuraci[oó]n|confidenciales|ocultas|internas)|mensajes? (?:de|del) "
            r"sistema|system (?:message|instructions)|hidden (?:instructions|reasoning)|configuraci[oó]n "
            r"(?:interna|del sistema))\b|"
            r"\b(?:tienes|te dieron|te han dado|sigues|you have|were you given|are you following|do you follow) "
            r"(?:" + _W + r"){0,2}?(?:instrucciones|reglas|restricciones|directrices|instructions|rules|guidelines)\b"
        ),
    ),
    "override": (
        ("ignor", "olvid", "descart", "desestim", "omit", "borra", "forget", "disregard", "discard", "anterior",
         "previ", "original"),
        re.compile(
            r"\b(?:ignora|ignore|ignorar|ignorando|ignores|ignoren|olvida|olvidaste|olvidar|olvide|descarta|desestima|"
            r"omite|borra|forget|disregard|discard)\w{0,3} (?:" + _W + r"){0,4}?(?:todo lo (?:anterior|que|de arriba)|"
            r"todo|lo (?:anterior|de arriba)|instrucciones|instrucci[oó]n|indicaciones|[oó]rdenes|restricciones|"
            r"contexto|pol[ií]ticas?|reglas|directrices|everything|the (?:previous|above)(?= ?[.,:;]| and\b)|"
            r"instructions|rules|context|directions|guidelines|prompt)\b|"
            r"\b(?:instrucciones|contexto|configuraci[oó]n|restricciones|mensaje) (?:" + _W + r"){0,2}?"
            r"(?:anterior(?:es)?|previ[oa]s?|original(?:es)?) (?:" + _W + r"){0,3}?(?:eliminad|borrad|reemplazad|"
            r"invalid|expirad|anulad|no existi|ha expirado|han sido)\w{0,4}|"
            r"\b(?:instrucciones|contexto|configuraci[oó]n) (?:anterior(?:es)?|previ[oa]s?|original(?:es)?) "
            r"(?:eliminad|borrad|reemplazad|anulad)\w{0,4}"
        ),
    ),
    "authority": (
        ("administr", "admin", "desarroll", "developer", "développ", "sviluppat", "entwickler", "superusu",
         "supervisor", "auditor", "investigador",
         "maintainer", "operator", "autoriz", "authori", "aprob", "approv", "verific", "verified", "acceso",
         "access", "permis", "privileg", "creador", "creator", "owner"),
        re.compile(
            r"\b(?:soy|como|i am|i'm|as|je suis|sono|ich bin) (?:el|la|tu|your|the|ton|il|dein|su) "
            r"(?:" + _W + r"){0,2}?(?:administrador|admin|desarrollador|superusuario|supervisor|auditor|"
            r"investigador|developer|administrator|maintainer|operator|superuser|owner|creator|creador|"
            r"d[ée]veloppeur|sviluppatore|entwickler|mantenedor)\b|"
            r"\b(?:administrador|desarrollador|sistema|proveedor|supervisor|admin|administrator|developer|operator|"
            r"provider) (?:" + _W + r"){0,3}?(?:aprobado|autorizado|autoriz[oó]|ordena|pide|verificado|approved|"
            r"authori[sz]ed|ordered|verified|vaciado|eliminado)\b|"
            r"\b(?:acceso|nivel de acceso|permisos|access|privileges|permissions) (?:de |level )?(?:administrador|"
            r"elevado|total|completo|root|privilegiado|admin|elevated|full|unrestricted|sin restricciones)\b|"
            r"\b(?:auditor[ií]a|prueba|test|audit|mensaje de prueba) (?:de seguridad |de |security )?"
            r"(?:autorizad[ao]|oficial|authori[sz]ed|official)\b"
        ),
    ),
    "output": (
        ("_", "prepend", "append", "add", "include", "insert", "añad", "anad", "agreg", "incluy", "antep", "pon "),
        re.compile(
            r"\b(?:responde|responda|respondas|contesta|di|d[ií]|dime|confirma|escribe|imprime|say|reply|respond|"
            r"answer|confirm|print|output|write|type|r[ée]ponds|rispondi|antworte|sag|diciendo|saying)"
            r"(?: (?:solo|solamente|[uú]nicamente|only|just|simplemente|exactamente|exactly|seulement|nur))?"
            r"(?: (?:con|with|diciendo|by saying|avec|mit)(?: (?:la|el|the|this|esta|este) (?:palabra|cadena|clave|"
            r"frase|c[oó]digo|word|string|phrase|code|key))?(?: ?:)? ?['\"\u201c\u2018\u00ab]?|"
            r"(?: [\w'\u2019]{1,12}){0,3} ?: ?['\"\u201c\u2018\u00ab]?| ['\"\u201c\u2018\u00ab])"
            r"[a-z][a-z0-9]{1,20}_[a-z0-9_]{2,30}\b|"
            r"\b(?:prepend|append|add|include|insert|a[ñn]ade|agrega|incluye|antep[oó]n\w{0,2}|pon)\b[^.!?]{0,60}?"
            r"\b(?:to|at the (?:start|end|beginning|top) of|in|into|en|al (?:inicio|principio|final) de|a) "
            r"(?:your|every|each|tu|tus|cada) (?:reply|replies|response|responses|answer|answers|output|summary|"
            r"respuesta|respuestas)\b"
        ),
    ),
    "turn": (
        ("system", "sistema", "sys", "admin", "override", "instrucci", "nueva", "nuevo", "new ", "[inst", "im_start",
         "usuario", "asistente", "user:", "assistant:"),
        re.compile(
            r"(?:^|[\[(<#*>|] ?|[.!?\"'] )(?:system|sistema|sistema admin|sys|admin|override|instrucci[oó]n(?: oculta| "
            r"prioritaria| del desarrollador| de seguridad| especial)?|nota del administrador) ?[\])>:#]|"
            r"\b(?:nueva|nuevo|new|updated) (?:instrucci[oó]n|instrucciones|tarea|misi[oó]n|directiva|regla|"
            r"objetivo|estado|system prompt|instruction|instructions|task|directive|rule|mission|objective)"
            r"(?: prioritaria| priority)? ?[:.]|"
            r"\[inst\]|<\|im_start\|>|"
            r"\b(?:usuario|user|human) ?: [^:]{1,100}?\b(?:asistente|ia|assistant|ai) ?:"
        ),
    ),
    "persona": (
        ("eres", "you are", "act as", "actúa", "actua", "interpreta", "juega", "en este rol", "en ese rol", "pretend",
         "play the role", "roleplay", "simula", "imita", "sé ", "se el", "se la", "se un", "simulate", "imitate",
         "tu es", "du bist", "sei "),
        re.compile(
            r"\b(?:ahora eres|eres|act[uú]a como(?: si fueras)?|interpreta(?: a| el papel de)?|juegas? (?:el|al) "
            r"(?:papel|rol) de|en (?:este|ese) rol|simula ser|imita a|s[eé] (?:el|la|un|una)|you are now|you are|"
            r"act as|pretend (?:to be|you are)|play the role of|roleplay as|simulate|imitate|tu es|sei|du bist)\b"
            r"[^.!?]{0,60}?\b(?:ia|ai|asistente|assistant|modelo|model|bot|chatbot|gpt|chatgpt|llm|"
            r"inteligencia artificial|assistente|intelligence artificielle|versi[oó]n|version)\b"
        ),
    ),
    "secrecy": (
        ("no se lo", "no lo ", "no le ", "no menciones", "no digas", "no reveles", "do not", "don't", "never",
         "without", "sin avisar", "sin decir", "sin informar", "secret", "silenciosa"),
        re.compile(
            r"\b(?:do not|don't|never) (?:mention|tell|reveal|disclose|inform|let on)\b[^.!?]{0,30}?\busers?\b|"
            r"\bno (?:se lo |lo |le )?(?:menciones|digas|reveles|comuniques|cuentes|informes)\b[^.!?]{0,30}?"
            r"\busuari[oa]s?\b|"
            r"\b(?:without|sin) (?:telling|informing|notifying|avisar|decirle|decir|informar) (?:the |al |a los )?"
            r"(?:users?|usuari[oa]s?)\b|\b(?:en secreto|secretly|silenciosamente)\b"
        ),
    ),
    "disclose": (
        ("muestr", "muéstr", "mostr", "revel", "revél", "imprim", "copi", "lista", "dame", "vuelca", "expón",
         "expon", "repit",
         "reproduc", "extra", "show", "reveal", "print", "dump", "repeat", "display", "list", "recite", "necesito",
         "quiero", "déjame", "dejame", "let me", "need to", "want to", "cuál", "cual", "what is", "what are",
         "what was", "what were", "lístal", "listal"),
        re.compile(
            r"\b(?:mu[eé]stra(?:lo|la|los|las|melo|mela|melos|melas)|l[ií]stal[ao]s|dímelo|dimelo)\b|"
            r"\b(?:muestra|mu[eé]strame|muestre|mostrar|mostrarme|revela|rev[eé]lame|revelar|imprime|copia|copies|"
            r"lista|dame|vuelca|exp[oó]n|expongas|repite|reproduce|extrae|necesito|quiero|show|reveal|print|dump|"
            r"repeat|display|list|recite|give me|i need|i want)\w{0,3} (?:" + _W + r"){0,5}?(?:system ?prompt|prompt|"
            r"instrucciones|"
            r"configuraci[oó]n|contexto|variables de entorno|historial|credenciales|claves? api|tokens?|secretos?|"
            r"metadata|metadatos|instructions|configuration|context|environment variables|history|credentials|"
            r"api keys?|secrets?|guidelines|directrices|reasoning|razonamiento|chain[- ]of[- ]thought)\b|"
            r"\b(?:necesito|quiero|d[eé]jame|let me|i need to|i want to|need to) (?:ver|see|leer|read|conocer)"
            r"(?:lo|la|los|las)?\b|"
            r"\b(?:cu[aá]l(?:es)? (?:es|son|eran|era)|what (?:is|are|was|were)) (?:exactamente |exactly )?(?:el |la |"
            r"las |los |the )?(?:texto|contenido|wording|text|content|exact text|exact wording)\b|"
            r"\b(?:l[ií]stal[ao]s|lista (?:todas|todos)|list them(?: all)?|list all of them)\b"
        ),
    ),
    "answer": (
        ("respon", "respuest", "contest", "proced", "contin", "opera", "confirm", "explic", "explíc", "dime", "dígame",
         "digame", "répond", "ripond", "rispond",
         "answer", "respond", "repl", "proceed", "continue", "explain", "tell me"),
        re.compile(
            r"\b(?:responde|responder|respondes|respondas|responder[aá]s|responder[ií]as|respondieras|contesta|"
            r"contestar|procede|proceder|contin[uú]a|opera|operas|confirma|respuestas?|expl[ií]ca(?:me|melo)?|"
            r"dime|responda|conteste|expl[ií]que(?:me)?|d[ií]game|r[ée]ponds|r[ée]pondez|rispondi|risponda|responda|"
            r"answer|respond|reply|proceed|continue|operate|confirm|explain|tell me)\b"
        ),
    ),
    "slot": (
        ("<",),
        re.compile(
            r"<(?:[a-z]{1,15} ){0,3}(?:your|you were|you are|tu|tus) [a-z ]{0,40}?\b(?:id|identifier|instance|prompt|"
            r"instructions|model|provisioned|credentials?|key|token|secret|password|instrucciones|clave|contrase[ñn]a)"
            r"\b[a-z ]{0,30}>"
        ),
    ),
    "send": (
        ("email", "e-mail", "send", "forward", "mail", "envía", "envia", "reenv", "manda"),
        re.compile(
            r"\b(?:e-?mail|send|forward|forwarding|mail|env[ií]a|reenv[ií]a|manda)\b[^.!?]{0,80}?"
            r"(?:\bto |\ba )?[\w.+-]{1,40}@[\w-]{1,40}\.[\w.]{2,20}|\b(?:when|before) (?:you )?forward(?:ing)?\b"
        ),
    ),
}
# fmt: on
# Cues that speak to or about the model: two cues make a finding only when one of them is of these.
_MODEL = frozenset({"limits_off", "mode", "internals", "own_internals", "output", "persona", "disclose", "slot"})
# Cues that say what is to be done (the others set the scene: persona prompts and the documents about
# them hold a persona, the model's prompt named, a heading, a role): a finding needs one of these.
_ACTION = frozenset({"limits_off", "mode", "override", "output", "secrecy", "disclose", "switch", "answer", "send"})
# Actions that count only next to these partners: an answer or a continuation is every prompt's ask, a
# switch every manual's, a mail every office's; answering without limits, switching a mode on, mailing a
# slot the model is to fill are not.
_BOUND = {"answer": frozenset({"limits_off", "mode", "override"}), "switch": frozenset({"mode"}),
          "send": frozenset({"slot", "internals", "own_internals"})}  # fmt: skip
_BOUND_GAP = 60  # ... and only this close: "explícamelo sin restricciones", not a licence's "without restriction"
# The model's own prompt or instructions (not "tu configuración", which a support chat asks a person for): a
# disclosure naming it, and a claimed role next to it, count; the other internals only beside an action.
_MODEL_ONLY = re.compile(
    r"prompt|instrucc|instruction|directri|guideline|entrenamiento|training|context window|mensaje de sistema|"
    r"system message|instance id|istruzion|anweisung|instru[çc]|consignes"
)
# Reported speech: an order told of, given to the model in the third person ("instructing it to ignore previous
# guidelines", "instruct the model to ignore attempts to modify core instructions", "training it not to reveal its
# system prompt": security documentation), not given to the reader.
REPORTED = (
    r"\b(?:instruct|tell|told|ask|caus|trick|lead|led|convinc|forc|train|teach|taught|command|prompt|get|make)\w{0,4} "
    r"(?:it|them|the (?:model|llm|chatbot|assistant|agent|ai|bot|system|application|app)s?) (?:(?:not|never) )?"
    r"(?:in)?to ?"
)
# A cue said of someone else or denied ("do not reveal secrets", "attempts to reveal the system prompt",
# "never disable the filters") is none.
_DENIED = re.compile(
    r"(?:\b(?:not|never|no|nunca|jam[aá]s|ni|nor)|n't|\b(?:attempts?|attempting|tries|trying|tried|try|seeks?|"
    r"aims?|intentos? de|intenta|intentan|trata de|tratan de|designed|used) to|\bintent(?:a|an|o) de) ?$|"
    + REPORTED
    + "$"
)
_DENIED_BACK = 40  # how far before a cue its denial is looked for
_BEFORE, _AFTER = 90, 140  # the window around a token a class's regex is searched in
_REACH = 300  # two cues count together when they start this close
_MAX_SPOTS = 48
_PER_CLASS = 6
_MAX_TEXT = 65536


# Every class's tokens, once: which of them a text holds is one Hyperscan pass (``_GATE``; an ASCII
# text, or a text's ASCII letters for the ASCII tokens: dropping the others joins no token that was not
# there), so that only those are looked for (``str.find`` of ~200 tokens over 64 KiB cost ~10 ms).
_ALL = tuple(sorted({tok for toks, _ in _CLASSES.values() for tok in toks}))
_ASCII = tuple(i for i, tok in enumerate(_ALL) if tok.isascii())
_OTHER = tuple(i for i, tok in enumerate(_ALL) if not tok.isascii())
_GATE = PatternGate([re.compile(re.escape(tok)) for tok in _ALL], TEXT_GATES)
_MODEL_TOKENS = frozenset(tok for name, (toks, _) in _CLASSES.items() if name in _MODEL for tok in toks)


def _present(text: str) -> frozenset[str]:
    """The tokens of ``_ALL`` that ``text`` may hold (every one it holds, some more)."""
    if text.isascii():
        possible = _GATE.possible(text)
        if possible is not None:
            return frozenset(_ALL[i] for i in possible)
        return frozenset(tok for tok in _ALL if tok in text)
    possible = _GATE.possible(text.encode("ascii", "ignore").decode("ascii"))
    ascii_toks = (_ALL[i] for i in _ASCII if i in possible) if possible is not None else (_ALL[i] for i in _ASCII)
    return frozenset((*ascii_toks, *(_ALL[i] for i in _OTHER if _ALL[i] in text)))


def cues(text: str) -> list[tuple[int, int, str]]:
    """(start, end, class) of the cues found in ``text``, at most ``_PER_CLASS`` a class, by start."""
    text = text[:_MAX_TEXT]
    present = _present(text)
    if not present & _MODEL_TOKENS:
        return []
    return _found(text, present, _CLASSES.keys())


def _pair(a: str, b: str) -> bool:
    """Whether cues of classes ``a`` and ``b`` make a finding together (``scored``'s rule, gaps aside)."""
    pair = {a, b}
    if a == b or not (pair & _MODEL and (pair & _ACTION or pair == {"authority", "own_internals"})):
        return False
    return b in _BOUND.get(a, {b}) and a in _BOUND.get(b, {a})


# For each set of classes whose tokens a text holds, whether two of them could make a finding: most texts
# hold one class's tokens or none ("what is" of every question), and are done after one Hyperscan pass.
_TOKEN_CLASSES = {tok: frozenset(n for n, (toks, _) in _CLASSES.items() if tok in toks) for tok in _ALL}
_SELVES = {"internals": ("internals", "own_internals")}


# Which classes' regexes may match at all, in the same Hyperscan pass: a class's tokens are common words
# ("_" of every identifier, "what is" of every question) where its regex is not. Gated as a superset of
# the windowed searches: without ``\b`` (a window's end is a string's end to ``re``), and not the classes
# with lookarounds, which are always possible.
_GATED = tuple(n for n, (_, rx) in _CLASSES.items() if not any(x in rx.pattern for x in ("(?=", "(?!", "(?<")))
_CLASS_GATE = PatternGate([re.compile(_CLASSES[n][1].pattern.replace(r"\b", "")) for n in _GATED])


def _possible_classes(text: str, names: set[str]) -> set[str]:
    """``names`` less the gated classes whose regex cannot match ``text``."""
    possible = _CLASS_GATE.possible(text)
    if possible is None:
        return names
    return names - {n for i, n in enumerate(_GATED) if i not in possible}


def _pairable(names: AbstractSet[str]) -> bool:
    return any(
        _pair(x, y)
        for a, b in itertools.combinations(sorted(names), 2)
        for x in _SELVES.get(a, (a,))
        for y in _SELVES.get(b, (b,))
    )


def _found(text: str, present: frozenset[str], names: Iterable[str]) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for name in names:
        tokens, rx = _CLASSES[name]
        toks = [tok for tok in tokens if tok in present]
        if not toks:
            continue
        kept = 0
        for m in window_matches(text, rx, toks, _BEFORE, _AFTER, _MAX_SPOTS):
            if name in _ACTION and _DENIED.search(text, max(0, m.start() - _DENIED_BACK), m.start()) is not None:
                continue
            found.append((m.start(), m.end(), name))
            kept += 1
            if kept >= _PER_CLASS:
                break
    found.sort()
    return found


def span(text: str) -> tuple[int, int] | None:
    """``scored``'s (start, end), or ``None``."""
    m = scored(text)
    return None if m is None else (m[0], m[1])


def scored(text: str) -> tuple[int, int, list[str]] | None:
    """(start, end, classes) of the first stretch holding cues of two classes within ``_REACH``, one of them
    speaking to or about the model; ``None`` when there is none."""
    text = text[:_MAX_TEXT]
    present = _present(text)
    names = {n for tok in present for n in _TOKEN_CLASSES[tok]}
    if not _pairable(names) or not _pairable(names := _possible_classes(text, names)):
        return None
    found = [(s, e, n if n != "internals" or _MODEL_ONLY.search(text, s, e) is None else "own_internals")
             for s, e, n in _found(text, present, [n for n in _CLASSES if n in names])]  # fmt: skip
    for i, (s, e, name) in enumerate(found):
        for s2, e2, name2 in found[i + 1 :]:
            if s2 - s > _REACH:
                break
            pair = {name, name2}
            if name2 == name or not (pair & _MODEL and (pair & _ACTION or pair == {"authority", "own_internals"})):
                continue
            if name2 not in _BOUND.get(name, {name2}) or name not in _BOUND.get(name2, {name}):
                continue
            if (name in _BOUND or name2 in _BOUND) and s2 - e > _BOUND_GAP:
                continue
            # one phrase is one cue, unless the other names the model's own prompt or rules inside it
            if s2 < e and "own_internals" not in pair and pair != {"limits_off", "override"}:
                continue
            if pair == {"disclose", "internals"}:  # "show the tokens in your config file": a person's
                continue
            return s, max(e, e2), sorted({name, name2})
    return None


# Prefilter anchors (folded text): every cue holds one of its class's tokens, and a finding a cue of a class
# that speaks about the model; those classes' tokens but the common English words (the detector's other
# anchors hold "prompt", "instruction", "system", "ignore", ...; "list", "show", "mode" would open it on
# every page).
_COMMON = frozenset({"_", "list", "show", "share", "print", "extra", "copi", "config", "training", "program",
                     "filter", "filtr", "limit", "mode", "modus", "display", "repeat", "paste", "dump", "reveal",
                     "recite", "lista", "sei "})  # fmt: skip
ANCHORS = tuple(sorted({tok for name, (toks, _) in _CLASSES.items() if name in _MODEL for tok in toks} - _COMMON))
