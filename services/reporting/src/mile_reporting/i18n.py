"""Labels of the dashboard and exports in the partner cities' languages, and choosing one."""

from mile_reporting.indicators import LANGUAGES

NOT_REPORTED = "not_reported"

_TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "en": "MILE: indicators per city",
        "it": "MILE: indicatori per città",
        "es": "MILE: indicadores por ciudad",
        "de": "MILE: Indikatoren pro Stadt",
        "el": "MILE: δείκτες ανά πόλη",
    },
    "indicator": {"en": "Indicator", "it": "Indicatore", "es": "Indicador", "de": "Indikator", "el": "Δείκτης"},
    "category": {"en": "Category", "it": "Categoria", "es": "Categoría", "de": "Kategorie", "el": "Κατηγορία"},
    "value": {
        "en": "Participants",
        "it": "Partecipanti",
        "es": "Participantes",
        "de": "Teilnehmende",
        "el": "Συμμετέχοντες",
    },
    "total": {"en": "Total", "it": "Totale", "es": "Total", "de": "Gesamt", "el": "Σύνολο"},
    "target": {"en": "Target", "it": "Obiettivo", "es": "Meta", "de": "Ziel", "el": "Στόχος"},
    "progress": {
        "en": "Progress against targets",
        "it": "Avanzamento rispetto agli obiettivi",
        "es": "Progreso frente a las metas",
        "de": "Fortschritt gegenüber den Zielen",
        "el": "Πρόοδος σε σχέση με τους στόχους",
    },
    "funnel": {
        "en": "Funnel per city",
        "it": "Percorso per città",
        "es": "Embudo por ciudad",
        "de": "Verlauf pro Stadt",
        "el": "Πορεία ανά πόλη",
    },
    "trends": {
        "en": "Every stage by month",
        "it": "Ogni fase per mese",
        "es": "Cada etapa por mes",
        "de": "Jede Stufe pro Monat",
        "el": "Κάθε στάδιο ανά μήνα",
    },
    "outcomes": {"en": "Outcomes", "it": "Risultati", "es": "Resultados", "de": "Ergebnisse", "el": "Αποτελέσματα"},
    "training_hours": {
        "en": "Training hours by course type",
        "it": "Ore di formazione per tipo di corso",
        "es": "Horas de formación por tipo de curso",
        "de": "Schulungsstunden nach Kursart",
        "el": "Ώρες κατάρτισης ανά τύπο μαθήματος",
    },
    "hours": {"en": "hours", "it": "ore", "es": "horas", "de": "Stunden", "el": "ώρες"},
    "training_drop_out_reasons": {
        "en": "Why participants left training",
        "it": "Perché i partecipanti hanno lasciato la formazione",
        "es": "Por qué los participantes dejaron la formación",
        "de": "Warum Teilnehmende die Schulung abbrachen",
        "el": "Γιατί οι συμμετέχοντες εγκατέλειψαν την κατάρτιση",
    },
    "drop_out_reasons": {
        "en": "Why placements ended early",
        "it": "Perché gli inserimenti sono finiti prima",
        "es": "Por qué las colocaciones terminaron antes",
        "de": "Warum Platzierungen vorzeitig endeten",
        "el": "Γιατί οι τοποθετήσεις έληξαν νωρίς",
    },
    "follow_up_coverage": {
        "en": "Follow-ups due: recorded, missed, pending",
        "it": "Follow-up dovuti: registrati, mancati, in attesa",
        "es": "Seguimientos debidos: registrados, perdidos, pendientes",
        "de": "Fällige Nachbetreuungen: erfasst, versäumt, offen",
        "el": "Οφειλόμενες παρακολουθήσεις: καταγεγραμμένες, χαμένες, εκκρεμείς",
    },
    "due": {"en": "Due", "it": "Dovuti", "es": "Debidos", "de": "Fällig", "el": "Οφειλόμενες"},
    "recorded": {"en": "Recorded", "it": "Registrati", "es": "Registrados", "de": "Erfasst", "el": "Καταγεγραμμένες"},
    "missed": {"en": "Missed", "it": "Mancati", "es": "Perdidos", "de": "Versäumt", "el": "Χαμένες"},
    "pending": {"en": "Pending", "it": "In attesa", "es": "Pendientes", "de": "Offen", "el": "Εκκρεμείς"},
    "recorded_percent": {
        "en": "recorded of those settled",
        "it": "registrati su quelli conclusi",
        "es": "registrados de los resueltos",
        "de": "erfasst von den abgeschlossenen",
        "el": "καταγεγραμμένες επί των ολοκληρωμένων",
    },
    "median_days": {
        "en": "Days from registration to placement: median",
        "it": "Giorni dall'iscrizione all'inserimento: mediana",
        "es": "Días del registro a la colocación: mediana",
        "de": "Tage von der Anmeldung bis zur Platzierung: Median",
        "el": "Ημέρες από την εγγραφή έως την τοποθέτηση: διάμεσος",
    },
    "p90_days": {
        "en": "Days from registration to placement: 90th percentile",
        "it": "Giorni dall'iscrizione all'inserimento: 90° percentile",
        "es": "Días del registro a la colocación: percentil 90",
        "de": "Tage von der Anmeldung bis zur Platzierung: 90. Perzentil",
        "el": "Ημέρες από την εγγραφή έως την τοποθέτηση: 90ό εκατοστημόριο",
    },
    "suppressed": {
        "en": "<5: fewer than 5 people; *: hidden so that a small figure cannot be worked out from the total.",
        "it": "<5: meno di 5 persone; *: nascosto perché un valore piccolo non si ricavi dal totale.",
        "es": "<5: menos de 5 personas; *: oculto para que una cifra pequeña no se deduzca del total.",
        "de": "<5: weniger als 5 Personen; *: verborgen, damit kleine Werte nicht aus der Summe folgen.",
        "el": "<5: λιγότερα από 5 άτομα; *: κρυφό ώστε μικρός αριθμός να μη συνάγεται από το σύνολο.",
    },
    "registered": {
        "en": "Registered",
        "it": "Iscritti",
        "es": "Registrados",
        "de": "Angemeldet",
        "el": "Εγγεγραμμένοι",
    },
    "assessed": {"en": "Assessed", "it": "Valutati", "es": "Evaluados", "de": "Bewertet", "el": "Αξιολογημένοι"},
    "in_training": {
        "en": "In training",
        "it": "In formazione",
        "es": "En formación",
        "de": "In Schulung",
        "el": "Σε κατάρτιση",
    },
    "trained": {
        "en": "Training completed",
        "it": "Formazione conclusa",
        "es": "Formación completada",
        "de": "Schulung abgeschlossen",
        "el": "Ολοκληρωμένη κατάρτιση",
    },
    "host_language": {
        "en": "Host-language course",
        "it": "Corso di lingua",
        "es": "Curso de idioma",
        "de": "Sprachkurs",
        "el": "Μάθημα γλώσσας",
    },
    "civic_orientation": {
        "en": "Civic orientation",
        "it": "Orientamento civico",
        "es": "Orientación cívica",
        "de": "Orientierungskurs",
        "el": "Πολιτειακός προσανατολισμός",
    },
    "vocational": {
        "en": "Vocational training",
        "it": "Formazione professionale",
        "es": "Formación profesional",
        "de": "Berufliche Schulung",
        "el": "Επαγγελματική κατάρτιση",
    },
    "digital": {
        "en": "Digital skills",
        "it": "Competenze digitali",
        "es": "Competencias digitales",
        "de": "Digitale Kompetenzen",
        "el": "Ψηφιακές δεξιότητες",
    },
    "soft_skills": {
        "en": "Soft skills",
        "it": "Competenze trasversali",
        "es": "Competencias transversales",
        "de": "Soziale Kompetenzen",
        "el": "Ήπιες δεξιότητες",
    },
    "job_search": {
        "en": "Job search course",
        "it": "Corso di ricerca del lavoro",
        "es": "Curso de búsqueda de empleo",
        "de": "Bewerbungstraining",
        "el": "Μάθημα αναζήτησης εργασίας",
    },
    "matched": {"en": "Matched", "it": "Abbinati", "es": "Emparejados", "de": "Vermittelt", "el": "Αντιστοιχισμένοι"},
    "placed": {"en": "Placed", "it": "Inseriti", "es": "Colocados", "de": "Platziert", "el": "Τοποθετημένοι"},
    "completed": {
        "en": "Placement completed",
        "it": "Inserimento concluso",
        "es": "Colocación completada",
        "de": "Platzierung abgeschlossen",
        "el": "Ολοκληρωμένη τοποθέτηση",
    },
    "employed_6m": {
        "en": "Employed at 6 months",
        "it": "Occupati a 6 mesi",
        "es": "Empleados a los 6 meses",
        "de": "Erwerbstätig nach 6 Monaten",
        "el": "Εργαζόμενοι στους 6 μήνες",
    },
    "female": {"en": "Women", "it": "Donne", "es": "Mujeres", "de": "Frauen", "el": "Γυναίκες"},
    "male": {"en": "Men", "it": "Uomini", "es": "Hombres", "de": "Männer", "el": "Άνδρες"},
    "other": {"en": "Other", "it": "Altro", "es": "Otro", "de": "Andere", "el": "Άλλο"},
    "undisclosed": {
        "en": "Undisclosed",
        "it": "Non dichiarato",
        "es": "No declarado",
        "de": "Keine Angabe",
        "el": "Δεν δηλώθηκε",
    },
    NOT_REPORTED: {
        "en": "Not reported",
        "it": "Non comunicato",
        "es": "No comunicado",
        "de": "Nicht gemeldet",
        "el": "Δεν αναφέρθηκε",
    },
    "refugee": {"en": "Refugee", "it": "Rifugiato", "es": "Refugiado", "de": "Geflüchtet", "el": "Πρόσφυγας"},
    "subsidiary_protection": {
        "en": "Subsidiary protection",
        "it": "Protezione sussidiaria",
        "es": "Protección subsidiaria",
        "de": "Subsidiärer Schutz",
        "el": "Επικουρική προστασία",
    },
    "asylum_seeker": {
        "en": "Asylum seeker",
        "it": "Richiedente asilo",
        "es": "Solicitante de asilo",
        "de": "Asylsuchend",
        "el": "Αιτών άσυλο",
    },
    "temporary_protection": {
        "en": "Temporary protection",
        "it": "Protezione temporanea",
        "es": "Protección temporal",
        "de": "Vorübergehender Schutz",
        "el": "Προσωρινή προστασία",
    },
    "family_reunification": {
        "en": "Family reunification",
        "it": "Ricongiungimento familiare",
        "es": "Reagrupación familiar",
        "de": "Familiennachzug",
        "el": "Οικογενειακή επανένωση",
    },
    "work_permit_holder": {
        "en": "Work permit holder",
        "it": "Titolare di permesso di lavoro",
        "es": "Titular de permiso de trabajo",
        "de": "Arbeitserlaubnis",
        "el": "Κάτοχος άδειας εργασίας",
    },
}


def text(key: str, lang: str) -> str:
    """The label of ``key`` in ``lang``; codes without a label (cities, age bands) read as themselves."""
    labels = _TEXTS.get(key)
    if labels is None:
        return key.replace("_", " ").capitalize() if key.replace("_", "").isalpha() else key
    return labels[lang]


def choose_language(query: str | None, accept_language: str | None) -> str:
    """``?lang=`` wins, then the best ``Accept-Language`` entry we have, then English."""
    if query in LANGUAGES:
        return query
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((quality, primary))
    ranked.sort(key=lambda entry: -entry[0])  # stable: equal weights keep the caller's order
    return ranked[0][1] if ranked else "en"
