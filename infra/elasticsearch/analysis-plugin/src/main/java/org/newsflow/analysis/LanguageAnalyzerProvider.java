package org.newsflow.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.br.BrazilianAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The language analyzers of the official analysis-common module ("english", "german", ...),
 * built from the corresponding Lucene analyzers. Supported settings, as upstream:
 * {@code stopwords} (list, {@code _english_}-style name or {@code _none_}), {@code stopwords_path}
 * and {@code stem_exclusion} (where the Lucene analyzer has a stem exclusion set).
 */
final class LanguageAnalyzerProvider extends AbstractIndexAnalyzerProvider<Analyzer> {

    /** How to build one language analyzer. */
    private record Language(Supplier<CharArraySet> defaultStopWords, BiFunction<CharArraySet, CharArraySet, Analyzer> factory) {}

    private static final Map<String, Language> LANGUAGES;

    static {
        Map<String, Language> m = new LinkedHashMap<>();
        m.put("arabic", new Language(ArabicAnalyzer::getDefaultStopSet, ArabicAnalyzer::new));
        m.put("brazilian", new Language(BrazilianAnalyzer::getDefaultStopSet, BrazilianAnalyzer::new));
        m.put("bulgarian", new Language(BulgarianAnalyzer::getDefaultStopSet, BulgarianAnalyzer::new));
        m.put("catalan", new Language(CatalanAnalyzer::getDefaultStopSet, CatalanAnalyzer::new));
        m.put("cjk", new Language(CJKAnalyzer::getDefaultStopSet, (stop, excl) -> new CJKAnalyzer(stop)));
        m.put("czech", new Language(CzechAnalyzer::getDefaultStopSet, CzechAnalyzer::new));
        m.put("danish", new Language(DanishAnalyzer::getDefaultStopSet, DanishAnalyzer::new));
        m.put("dutch", new Language(DutchAnalyzer::getDefaultStopSet, DutchAnalyzer::new));
        m.put("english", new Language(EnglishAnalyzer::getDefaultStopSet, EnglishAnalyzer::new));
        m.put("estonian", new Language(EstonianAnalyzer::getDefaultStopSet, EstonianAnalyzer::new));
        m.put("finnish", new Language(FinnishAnalyzer::getDefaultStopSet, FinnishAnalyzer::new));
        m.put("french", new Language(FrenchAnalyzer::getDefaultStopSet, FrenchAnalyzer::new));
        m.put("german", new Language(GermanAnalyzer::getDefaultStopSet, GermanAnalyzer::new));
        m.put("greek", new Language(GreekAnalyzer::getDefaultStopSet, (stop, excl) -> new GreekAnalyzer(stop)));
        m.put("hindi", new Language(HindiAnalyzer::getDefaultStopSet, HindiAnalyzer::new));
        m.put("hungarian", new Language(HungarianAnalyzer::getDefaultStopSet, HungarianAnalyzer::new));
        m.put("indonesian", new Language(IndonesianAnalyzer::getDefaultStopSet, IndonesianAnalyzer::new));
        m.put("irish", new Language(IrishAnalyzer::getDefaultStopSet, IrishAnalyzer::new));
        m.put("italian", new Language(ItalianAnalyzer::getDefaultStopSet, ItalianAnalyzer::new));
        m.put("latvian", new Language(LatvianAnalyzer::getDefaultStopSet, LatvianAnalyzer::new));
        m.put("lithuanian", new Language(LithuanianAnalyzer::getDefaultStopSet, LithuanianAnalyzer::new));
        m.put("norwegian", new Language(NorwegianAnalyzer::getDefaultStopSet, NorwegianAnalyzer::new));
        m.put("persian", new Language(PersianAnalyzer::getDefaultStopSet, (stop, excl) -> new PersianAnalyzer(stop)));
        m.put("portuguese", new Language(PortugueseAnalyzer::getDefaultStopSet, PortugueseAnalyzer::new));
        m.put("romanian", new Language(RomanianAnalyzer::getDefaultStopSet, RomanianAnalyzer::new));
        m.put("russian", new Language(RussianAnalyzer::getDefaultStopSet, RussianAnalyzer::new));
        m.put("spanish", new Language(SpanishAnalyzer::getDefaultStopSet, SpanishAnalyzer::new));
        m.put("swedish", new Language(SwedishAnalyzer::getDefaultStopSet, SwedishAnalyzer::new));
        m.put("turkish", new Language(TurkishAnalyzer::getDefaultStopSet, TurkishAnalyzer::new));
        LANGUAGES = Collections.unmodifiableMap(m);
    }

    private final Analyzer analyzer;

    private LanguageAnalyzerProvider(Environment env, String name, Settings settings, Language language) {
        super(name, settings);
        CharArraySet stopWords = Analysis.parseStopWords(env, settings, language.defaultStopWords().get());
        CharArraySet stemExclusion = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
        this.analyzer = language.factory().apply(stopWords, stemExclusion);
    }

    @Override
    public Analyzer get() {
        return analyzer;
    }

    /** analyzer name -> provider, for {@link org.elasticsearch.plugins.AnalysisPlugin#getAnalyzers()}. */
    static Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> providers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> out = new LinkedHashMap<>();
        LANGUAGES.forEach(
            (lang, def) -> out.put(lang, (IndexSettings is, Environment env, String name, Settings s) -> new LanguageAnalyzerProvider(env, name, s, def))
        );
        return out;
    }
}
