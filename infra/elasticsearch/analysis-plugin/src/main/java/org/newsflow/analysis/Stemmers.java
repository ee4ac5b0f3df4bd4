package org.newsflow.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicStemFilter;
import org.apache.lucene.analysis.bg.BulgarianStemFilter;
import org.apache.lucene.analysis.br.BrazilianStemFilter;
import org.apache.lucene.analysis.cz.CzechStemFilter;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.el.GreekStemFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.es.SpanishLightStemFilter;
import org.apache.lucene.analysis.es.SpanishPluralStemFilter;
import org.apache.lucene.analysis.fa.PersianStemFilter;
import org.apache.lucene.analysis.fi.FinnishLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchMinimalStemFilter;
import org.apache.lucene.analysis.hi.HindiStemFilter;
import org.apache.lucene.analysis.hu.HungarianLightStemFilter;
import org.apache.lucene.analysis.id.IndonesianStemFilter;
import org.apache.lucene.analysis.it.ItalianLightStemFilter;
import org.apache.lucene.analysis.lv.LatvianStemFilter;
import org.apache.lucene.analysis.no.NorwegianLightStemFilter;
import org.apache.lucene.analysis.no.NorwegianMinimalStemFilter;
import org.apache.lucene.analysis.pt.PortugueseLightStemFilter;
import org.apache.lucene.analysis.pt.PortugueseMinimalStemFilter;
import org.apache.lucene.analysis.pt.PortugueseStemFilter;
import org.apache.lucene.analysis.ru.RussianLightStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.sv.SwedishLightStemFilter;
import org.tartarus.snowball.SnowballStemmer;
import org.tartarus.snowball.ext.ArmenianStemmer;
import org.tartarus.snowball.ext.BasqueStemmer;
import org.tartarus.snowball.ext.CatalanStemmer;
import org.tartarus.snowball.ext.DanishStemmer;
import org.tartarus.snowball.ext.DutchStemmer;
import org.tartarus.snowball.ext.EnglishStemmer;
import org.tartarus.snowball.ext.EstonianStemmer;
import org.tartarus.snowball.ext.FinnishStemmer;
import org.tartarus.snowball.ext.FrenchStemmer;
import org.tartarus.snowball.ext.GermanStemmer;
import org.tartarus.snowball.ext.HungarianStemmer;
import org.tartarus.snowball.ext.IrishStemmer;
import org.tartarus.snowball.ext.ItalianStemmer;
import org.tartarus.snowball.ext.LithuanianStemmer;
import org.tartarus.snowball.ext.NorwegianStemmer;
import org.tartarus.snowball.ext.PorterStemmer;
import org.tartarus.snowball.ext.PortugueseStemmer;
import org.tartarus.snowball.ext.RomanianStemmer;
import org.tartarus.snowball.ext.RussianStemmer;
import org.tartarus.snowball.ext.SerbianStemmer;
import org.tartarus.snowball.ext.SpanishStemmer;
import org.tartarus.snowball.ext.SwedishStemmer;
import org.tartarus.snowball.ext.TurkishStemmer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Stemmer lookup tables for the {@code stemmer} and {@code snowball} token filters, using the
 * language names of the official analysis-common module ({@code english}, {@code light_english},
 * {@code german}, {@code minimal_french}, ...). Names are matched case-insensitively and with or
 * without underscores, so the legacy camelCase spellings ({@code lightEnglish}) work as well.
 */
final class Stemmers {

    private static final Map<String, Function<TokenStream, TokenStream>> STEMMER = new HashMap<>();
    private static final Map<String, Supplier<SnowballStemmer>> SNOWBALL = new HashMap<>();
    /** Canonical (documented) spellings, for error messages. */
    private static final TreeSet<String> STEMMER_NAMES = new TreeSet<>();

    private Stemmers() {}

    static String key(String language) {
        return language.toLowerCase(Locale.ROOT).replace("_", "");
    }

    private static void stemmer(String name, Function<TokenStream, TokenStream> f) {
        STEMMER.put(key(name), f);
        STEMMER_NAMES.add(name);
    }

    private static void snowballStemmer(String name, Supplier<SnowballStemmer> s) {
        stemmer(name, ts -> new SnowballFilter(ts, s.get()));
    }

    static {
        stemmer("arabic", ArabicStemFilter::new);
        snowballStemmer("armenian", ArmenianStemmer::new);
        snowballStemmer("basque", BasqueStemmer::new);
        stemmer("brazilian", BrazilianStemFilter::new);
        stemmer("bulgarian", BulgarianStemFilter::new);
        snowballStemmer("catalan", CatalanStemmer::new);
        stemmer("czech", CzechStemFilter::new);
        snowballStemmer("danish", DanishStemmer::new);
        snowballStemmer("dutch", DutchStemmer::new);
        // English
        stemmer("english", PorterStemFilter::new);
        stemmer("porter", PorterStemFilter::new);
        snowballStemmer("porter2", EnglishStemmer::new);
        stemmer("light_english", KStemFilter::new);
        stemmer("kstem", KStemFilter::new);
        stemmer("minimal_english", EnglishMinimalStemFilter::new);
        stemmer("possessive_english", EnglishPossessiveFilter::new);
        snowballStemmer("estonian", EstonianStemmer::new);
        // Finnish ("light_finish" is an upstream typo kept for compatibility)
        snowballStemmer("finnish", FinnishStemmer::new);
        stemmer("light_finnish", FinnishLightStemFilter::new);
        stemmer("light_finish", FinnishLightStemFilter::new);
        // French
        snowballStemmer("french", FrenchStemmer::new);
        stemmer("light_french", FrenchLightStemFilter::new);
        stemmer("minimal_french", FrenchMinimalStemFilter::new);
        // German ("german2" was folded into "german" upstream)
        snowballStemmer("german", GermanStemmer::new);
        snowballStemmer("german2", GermanStemmer::new);
        stemmer("light_german", GermanLightStemFilter::new);
        stemmer("minimal_german", GermanMinimalStemFilter::new);
        stemmer("greek", GreekStemFilter::new);
        stemmer("hindi", HindiStemFilter::new);
        snowballStemmer("hungarian", HungarianStemmer::new);
        stemmer("light_hungarian", HungarianLightStemFilter::new);
        stemmer("indonesian", IndonesianStemFilter::new);
        snowballStemmer("irish", IrishStemmer::new);
        snowballStemmer("italian", ItalianStemmer::new);
        stemmer("light_italian", ItalianLightStemFilter::new);
        stemmer("latvian", LatvianStemFilter::new);
        snowballStemmer("lithuanian", LithuanianStemmer::new);
        snowballStemmer("norwegian", NorwegianStemmer::new);
        stemmer("light_norwegian", NorwegianLightStemFilter::new);
        stemmer("minimal_norwegian", NorwegianMinimalStemFilter::new);
        stemmer("persian", PersianStemFilter::new);
        snowballStemmer("portuguese", PortugueseStemmer::new);
        stemmer("light_portuguese", PortugueseLightStemFilter::new);
        stemmer("minimal_portuguese", PortugueseMinimalStemFilter::new);
        stemmer("portuguese_rslp", PortugueseStemFilter::new);
        snowballStemmer("romanian", RomanianStemmer::new);
        snowballStemmer("russian", RussianStemmer::new);
        stemmer("light_russian", RussianLightStemFilter::new);
        snowballStemmer("serbian", SerbianStemmer::new);
        snowballStemmer("spanish", SpanishStemmer::new);
        stemmer("light_spanish", SpanishLightStemFilter::new);
        stemmer("spanish_plural", SpanishPluralStemFilter::new);
        snowballStemmer("swedish", SwedishStemmer::new);
        stemmer("light_swedish", SwedishLightStemFilter::new);
        snowballStemmer("turkish", TurkishStemmer::new);

        // "snowball" token filter: language names as in Lucene's SnowballFilter (English, German, ...)
        SNOWBALL.put("armenian", ArmenianStemmer::new);
        SNOWBALL.put("basque", BasqueStemmer::new);
        SNOWBALL.put("catalan", CatalanStemmer::new);
        SNOWBALL.put("danish", DanishStemmer::new);
        SNOWBALL.put("dutch", DutchStemmer::new);
        SNOWBALL.put("english", EnglishStemmer::new);
        SNOWBALL.put("estonian", EstonianStemmer::new);
        SNOWBALL.put("finnish", FinnishStemmer::new);
        SNOWBALL.put("french", FrenchStemmer::new);
        SNOWBALL.put("german", GermanStemmer::new);
        SNOWBALL.put("german2", GermanStemmer::new);
        SNOWBALL.put("hungarian", HungarianStemmer::new);
        SNOWBALL.put("irish", IrishStemmer::new);
        SNOWBALL.put("italian", ItalianStemmer::new);
        SNOWBALL.put("lithuanian", LithuanianStemmer::new);
        SNOWBALL.put("norwegian", NorwegianStemmer::new);
        SNOWBALL.put("porter", PorterStemmer::new);
        SNOWBALL.put("portuguese", PortugueseStemmer::new);
        SNOWBALL.put("romanian", RomanianStemmer::new);
        SNOWBALL.put("russian", RussianStemmer::new);
        SNOWBALL.put("serbian", SerbianStemmer::new);
        SNOWBALL.put("spanish", SpanishStemmer::new);
        SNOWBALL.put("swedish", SwedishStemmer::new);
        SNOWBALL.put("turkish", TurkishStemmer::new);
    }

    /** Filter function for the {@code stemmer} token filter; throws IllegalArgumentException for unknown languages. */
    static Function<TokenStream, TokenStream> stemmer(String language) {
        Function<TokenStream, TokenStream> f = STEMMER.get(key(language));
        if (f == null) {
            throw new IllegalArgumentException(
                "Unknown Stemmer language [" + language + "]; supported (newsflow-analysis): " + STEMMER_NAMES
            );
        }
        return f;
    }

    /** Stemmer supplier for the {@code snowball} token filter. */
    static Supplier<SnowballStemmer> snowball(String language) {
        Supplier<SnowballStemmer> s = SNOWBALL.get(key(language));
        if (s == null) {
            throw new IllegalArgumentException(
                "Unknown Snowball language [" + language + "]; supported (newsflow-analysis): " + new TreeSet<>(SNOWBALL.keySet())
            );
        }
        return s;
    }
}
