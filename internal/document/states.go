package document

// stateNames are the names states print on their documents' fronts, in
// their own languages (upper case, accents as printed: titleIn folds
// them), for the country of a document typed by its title or layout.
// Longer, more specific names first: "REPUBLICA DE COLOMBIA" before any
// shorter name it contains.
var stateNames = []struct{ name, code string }{
	{"BUNDESREPUBLIK DEUTSCHLAND", "DEU"}, {"REPUBLIK ÖSTERREICH", "AUT"}, {"SCHWEIZERISCHE EIDGENOSSENSCHAFT", "CHE"},
	{"CONFÉDÉRATION SUISSE", "CHE"}, {"RÉPUBLIQUE FRANÇAISE", "FRA"}, {"ROYAUME DE BELGIQUE", "BEL"}, {"KONINKRIJK BELGIË", "BEL"},
	{"KONINKRIJK DER NEDERLANDEN", "NLD"}, {"GRAND-DUCHÉ DE LUXEMBOURG", "LUX"}, {"REINO DE ESPAÑA", "ESP"},
	{"REPUBBLICA ITALIANA", "ITA"}, {"REPÚBLICA PORTUGUESA", "PRT"}, {"RZECZPOSPOLITA POLSKA", "POL"},
	{"ČESKÁ REPUBLIKA", "CZE"}, {"SLOVENSKÁ REPUBLIKA", "SVK"}, {"MAGYARORSZÁG", "HUN"}, {"ROMÂNIA", "ROU"},
	{"REPUBLIKA HRVATSKA", "HRV"}, {"REPUBLIKA SLOVENIJA", "SVN"}, {"KONUNGARIKET SVERIGE", "SWE"},
	{"KONGERIKET NORGE", "NOR"}, {"KONGERIGET DANMARK", "DNK"}, {"SUOMI FINLAND", "FIN"}, {"ÉIRE IRELAND", "IRL"},
	{"UNITED KINGDOM OF GREAT BRITAIN", "GBR"}, {"UNITED STATES OF AMERICA", "USA"},
	{"ESTADOS UNIDOS MEXICANOS", "MEX"}, {"REPÚBLICA FEDERATIVA DO BRASIL", "BRA"}, {"REPÚBLICA ARGENTINA", "ARG"},
	{"REPÚBLICA DE CHILE", "CHL"}, {"REPÚBLICA DE COLOMBIA", "COL"}, {"REPÚBLICA DEL PERÚ", "PER"},
	{"REPÚBLICA BOLIVARIANA DE VENEZUELA", "VEN"}, {"REPÚBLICA DEL ECUADOR", "ECU"}, {"REPÚBLICA ORIENTAL DEL URUGUAY", "URY"},
	{"REPUBLIC OF THE PHILIPPINES", "PHL"}, {"REPUBLIK INDONESIA", "IDN"}, {"GOVERNMENT OF INDIA", "IND"},
	{"ISLAMIC REPUBLIC OF PAKISTAN", "PAK"}, {"PEOPLE'S REPUBLIC OF BANGLADESH", "BGD"}, {"FEDERAL REPUBLIC OF NIGERIA", "NGA"},
	{"REPUBLIC OF SOUTH AFRICA", "ZAF"}, {"REPUBLIC OF KENYA", "KEN"}, {"REPUBLIC OF GHANA", "GHA"},
	{"REPUBLIC OF SINGAPORE", "SGP"}, {"MALAYSIA", "MYS"}, {"KINGDOM OF THAILAND", "THA"},
	{"SOCIALIST REPUBLIC OF VIET NAM", "VNM"}, {"REPUBLIC OF KOREA", "KOR"}, {"REPUBLIC OF TURKEY", "TUR"},
	{"TÜRKİYE CUMHURİYETİ", "TUR"}, {"COMMONWEALTH OF AUSTRALIA", "AUS"}, {"NEW ZEALAND", "NZL"},
}

// printedState is the state whose name the printed text shows (ISO 3166-1
// alpha-3), "" when none.
func printedState(text string) string {
	t := prepareTitles(text)
	for _, s := range stateNames {
		if titleIn(t, s.name) {
			return s.code
		}
	}
	return ""
}
