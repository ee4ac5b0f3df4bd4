package org.newsflow.analysis;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicNormalizationFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.classic.ClassicFilter;
import org.apache.lucene.analysis.core.DecimalDigitFilter;
import org.apache.lucene.analysis.core.FlattenGraphFilter;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.fa.PersianNormalizationFilter;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.hi.HindiNormalizationFilter;
import org.apache.lucene.analysis.in.IndicNormalizationFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.KeepWordFilter;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.apache.lucene.analysis.miscellaneous.LimitTokenCountFilter;
import org.apache.lucene.analysis.miscellaneous.PatternKeywordMarkerFilter;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.miscellaneous.ScandinavianFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.ScandinavianNormalizationFilter;
import org.apache.lucene.analysis.miscellaneous.SetKeywordMarkerFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.miscellaneous.TruncateTokenFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterGraphFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterIterator;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.ngram.NGramTokenFilter;
import org.apache.lucene.analysis.pattern.PatternReplaceFilter;
import org.apache.lucene.analysis.reverse.ReverseStringFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.sr.SerbianNormalizationFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.analysis.tr.ApostropheFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.tartarus.snowball.SnowballStemmer;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.elasticsearch.plugins.AnalysisPlugin.requiresAnalysisSettings;

/** Token filters of the official analysis-common module, re-implemented on top of Lucene. */
final class TokenFilters {

    private TokenFilters() {}

    /** A token filter that just wraps the stream with a fixed function. */
    static class Simple extends AbstractTokenFilterFactory {
        private final Function<TokenStream, TokenStream> f;
        private final boolean breaksFvh;

        Simple(String name, Settings settings, Function<TokenStream, TokenStream> f, boolean breaksFvh) {
            super(name, settings);
            this.f = f;
            this.breaksFvh = breaksFvh;
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return f.apply(tokenStream);
        }

        @Override
        public boolean breaksFastVectorHighlighter() {
            return breaksFvh;
        }
    }

    /** Same, but may also be used in custom normalizers (keyword fields). */
    static final class SimpleNormalizing extends Simple implements NormalizingTokenFilterFactory {
        private final Function<TokenStream, TokenStream> normalizer;

        SimpleNormalizing(String name, Settings settings, Function<TokenStream, TokenStream> f, Function<TokenStream, TokenStream> normalizer) {
            super(name, settings, f, false);
            this.normalizer = normalizer;
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return normalizer.apply(tokenStream);
        }
    }

    /** Upstream's "unique" filter: drops tokens already seen (optionally only at the same position). */
    static final class UniqueFilter extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final PositionIncrementAttribute posInc = addAttribute(PositionIncrementAttribute.class);
        private final CharArraySet seen = new CharArraySet(16, false);
        private final boolean onlyOnSamePosition;

        UniqueFilter(TokenStream in, boolean onlyOnSamePosition) {
            super(in);
            this.onlyOnSamePosition = onlyOnSamePosition;
        }

        @Override
        public boolean incrementToken() throws IOException {
            while (input.incrementToken()) {
                if (onlyOnSamePosition && posInc.getPositionIncrement() > 0) {
                    seen.clear();
                }
                if (seen.contains(term.buffer(), 0, term.length()) == false) {
                    seen.add(Arrays.copyOf(term.buffer(), term.length()));
                    return true;
                }
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }

    private static Function<TokenStream, TokenStream> lowercase(String language) {
        if (language == null) {
            return LowerCaseFilter::new;
        }
        switch (language.toLowerCase(Locale.ROOT)) {
            case "greek":
                return GreekLowerCaseFilter::new;
            case "irish":
                return IrishLowerCaseFilter::new;
            case "turkish":
                return TurkishLowerCaseFilter::new;
            default:
                throw new IllegalArgumentException("language [" + language + "] not support for lower case");
        }
    }

    private static int wdgFlag(Settings s, String key, boolean defaultValue, int flag) {
        return s.getAsBoolean(key, defaultValue) ? flag : 0;
    }

    private static TokenFilterFactory wordDelimiterGraph(IndexSettings is, Environment env, String name, Settings s) {
        if (s.get("type_table") != null || s.get("type_table_path") != null) {
            throw new IllegalArgumentException("[" + name + "]: type_table is not supported by newsflow-analysis");
        }
        int flags = wdgFlag(s, "generate_word_parts", true, WordDelimiterGraphFilter.GENERATE_WORD_PARTS)
            | wdgFlag(s, "generate_number_parts", true, WordDelimiterGraphFilter.GENERATE_NUMBER_PARTS)
            | wdgFlag(s, "catenate_words", false, WordDelimiterGraphFilter.CATENATE_WORDS)
            | wdgFlag(s, "catenate_numbers", false, WordDelimiterGraphFilter.CATENATE_NUMBERS)
            | wdgFlag(s, "catenate_all", false, WordDelimiterGraphFilter.CATENATE_ALL)
            | wdgFlag(s, "split_on_case_change", true, WordDelimiterGraphFilter.SPLIT_ON_CASE_CHANGE)
            | wdgFlag(s, "preserve_original", false, WordDelimiterGraphFilter.PRESERVE_ORIGINAL)
            | wdgFlag(s, "split_on_numerics", true, WordDelimiterGraphFilter.SPLIT_ON_NUMERICS)
            | wdgFlag(s, "stem_english_possessive", true, WordDelimiterGraphFilter.STEM_ENGLISH_POSSESSIVE)
            | wdgFlag(s, "ignore_keywords", false, WordDelimiterGraphFilter.IGNORE_KEYWORDS);
        boolean adjustOffsets = s.getAsBoolean("adjust_offsets", true);
        CharArraySet protectedWords = Analysis.getWordSet(env, s, "protected_words");
        return new Simple(
            name,
            s,
            ts -> new WordDelimiterGraphFilter(ts, adjustOffsets, WordDelimiterIterator.DEFAULT_WORD_DELIM_TABLE, flags, protectedWords),
            true
        );
    }

    private static TokenFilterFactory ngram(IndexSettings is, String name, Settings s, boolean edge) {
        int minGram = s.getAsInt("min_gram", 1);
        int maxGram = s.getAsInt("max_gram", 2);
        boolean preserveOriginal = s.getAsBoolean("preserve_original", false);
        if (edge == false) {
            int maxAllowed = is.getMaxNgramDiff();
            if (maxGram - minGram > maxAllowed) {
                throw new IllegalArgumentException(
                    "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: ["
                        + maxAllowed
                        + "] but was ["
                        + (maxGram - minGram)
                        + "]. This limit can be set by changing the ["
                        + IndexSettings.MAX_NGRAM_DIFF_SETTING.getKey()
                        + "] index level setting."
                );
            }
            return new Simple(name, s, ts -> new NGramTokenFilter(ts, minGram, maxGram, preserveOriginal), true);
        }
        String side = s.get("side", "front");
        if (side.equals("front") == false && side.equals("back") == false) {
            throw new IllegalArgumentException("invalid side: " + side);
        }
        boolean back = side.equals("back");
        return new Simple(name, s, ts -> {
            TokenStream r = back ? new ReverseStringFilter(ts) : ts;
            r = new EdgeNGramTokenFilter(r, minGram, maxGram, preserveOriginal);
            return back ? new ReverseStringFilter(r) : r;
        }, true);
    }

    private static TokenFilterFactory keywordMarker(Environment env, String name, Settings s) {
        boolean ignoreCase = s.getAsBoolean("ignore_case", false);
        String pattern = s.get("keywords_pattern");
        CharArraySet keywords = Analysis.getWordSet(env, s, "keywords");
        if (pattern != null && keywords != null) {
            throw new IllegalArgumentException("cannot specify both `keywords_pattern` and `keywords` or `keywords_path`");
        }
        if (pattern != null) {
            Pattern p = Pattern.compile(pattern);
            return new Simple(name, s, ts -> new PatternKeywordMarkerFilter(ts, p), false);
        }
        if (keywords == null) {
            throw new IllegalArgumentException("keyword filter requires either `keywords`, `keywords_path`, or `keywords_pattern` to be configured");
        }
        CharArraySet set = new CharArraySet(keywords, ignoreCase);
        return new Simple(name, s, ts -> new SetKeywordMarkerFilter(ts, set), false);
    }

    private static TokenFilterFactory keep(Environment env, String name, Settings s) {
        if (s.get("enable_position_increments") != null) {
            throw new IllegalArgumentException("enable_position_increments is not supported anymore");
        }
        CharArraySet words = Analysis.getWordSet(env, s, "keep_words");
        if (words == null) {
            throw new IllegalArgumentException("keep requires `keep_words` or `keep_words_path` to be configured");
        }
        CharArraySet set = new CharArraySet(words, s.getAsBoolean("keep_words_case", false));
        return new Simple(name, s, ts -> new KeepWordFilter(ts, set), false);
    }

    private static TokenFilterFactory patternReplace(String name, Settings s) {
        String pattern = s.get("pattern");
        if (pattern == null) {
            throw new IllegalArgumentException("pattern is missing for [" + name + "] token filter of type 'pattern_replace'");
        }
        Pattern p = Pattern.compile(pattern);
        String replacement = s.get("replacement", "");
        boolean all = s.getAsBoolean("all", true);
        Function<TokenStream, TokenStream> f = ts -> new PatternReplaceFilter(ts, p, replacement, all);
        return new SimpleNormalizing(name, s, f, f);
    }

    private static TokenFilterFactory elision(Environment env, String name, Settings s) {
        // like upstream: no implicit default article set
        CharArraySet articles = Analysis.parseArticles(env, s);
        if (articles == null) {
            throw new IllegalArgumentException("elision filter requires [articles] or [articles_path] setting");
        }
        Function<TokenStream, TokenStream> f = ts -> new ElisionFilter(ts, articles);
        return new SimpleNormalizing(name, s, f, f);
    }

    /** A normalizing filter without settings. */
    private static AnalysisProvider<TokenFilterFactory> normalizing(Function<TokenStream, TokenStream> f) {
        return (is, env, name, s) -> new SimpleNormalizing(name, s, f, f);
    }

    /** A non-normalizing filter without settings. */
    private static AnalysisProvider<TokenFilterFactory> plain(Function<TokenStream, TokenStream> f) {
        return (is, env, name, s) -> new Simple(name, s, f, false);
    }

    static Map<String, AnalysisProvider<TokenFilterFactory>> providers() {
        Map<String, AnalysisProvider<TokenFilterFactory>> m = new LinkedHashMap<>();
        m.put("asciifolding", (is, env, name, s) -> {
            boolean preserveOriginal = s.getAsBoolean("preserve_original", false);
            return new SimpleNormalizing(name, s, ts -> new ASCIIFoldingFilter(ts, preserveOriginal), ts -> new ASCIIFoldingFilter(ts, false));
        });
        m.put("lowercase", (is, env, name, s) -> {
            Function<TokenStream, TokenStream> f = lowercase(s.get("language"));
            return new SimpleNormalizing(name, s, f, f);
        });
        m.put("uppercase", normalizing(UpperCaseFilter::new));
        m.put("stemmer", (is, env, name, s) -> {
            String language = s.get("language", s.get("name", "porter"));
            return new Simple(name, s, Stemmers.stemmer(language), false);
        });
        m.put("porter_stem", plain(PorterStemFilter::new));
        m.put("kstem", plain(KStemFilter::new));
        m.put("snowball", (is, env, name, s) -> {
            Supplier<SnowballStemmer> stemmer = Stemmers.snowball(s.get("language", "English"));
            return new Simple(name, s, ts -> new SnowballFilter(ts, stemmer.get()), false);
        });
        m.put("edge_ngram", (is, env, name, s) -> ngram(is, name, s, true));
        m.put("ngram", (is, env, name, s) -> ngram(is, name, s, false));
        m.put("word_delimiter_graph", TokenFilters::wordDelimiterGraph);
        m.put("trim", normalizing(TrimFilter::new));
        m.put("reverse", plain(ReverseStringFilter::new));
        m.put("truncate", (is, env, name, s) -> {
            int length = s.getAsInt("length", 10);
            if (length <= 0) {
                throw new IllegalArgumentException("length parameter must be provided");
            }
            return new Simple(name, s, ts -> new TruncateTokenFilter(ts, length), false);
        });
        m.put("length", (is, env, name, s) -> {
            int min = s.getAsInt("min", 0);
            int max = s.getAsInt("max", Integer.MAX_VALUE);
            return new Simple(name, s, ts -> new LengthFilter(ts, min, max), false);
        });
        m.put("limit", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_count", 1);
            boolean consumeAll = s.getAsBoolean("consume_all_tokens", false);
            return new Simple(name, s, ts -> new LimitTokenCountFilter(ts, max, consumeAll), false);
        });
        m.put("unique", (is, env, name, s) -> {
            boolean samePos = s.getAsBoolean("only_on_same_position", false);
            return new Simple(name, s, ts -> new UniqueFilter(ts, samePos), false);
        });
        m.put("remove_duplicates", plain(RemoveDuplicatesTokenFilter::new));
        m.put("elision", requiresAnalysisSettings(TokenFilters::elisionProvider));
        m.put("keyword_marker", requiresAnalysisSettings((is, env, name, s) -> keywordMarker(env, name, s)));
        m.put("keep", requiresAnalysisSettings((is, env, name, s) -> keep(env, name, s)));
        m.put("pattern_replace", requiresAnalysisSettings((is, env, name, s) -> patternReplace(name, s)));
        m.put("decimal_digit", normalizing(DecimalDigitFilter::new));
        m.put("apostrophe", plain(ApostropheFilter::new));
        m.put("classic", plain(ClassicFilter::new));
        m.put("cjk_width", normalizing(CJKWidthFilter::new));
        m.put("flatten_graph", plain(FlattenGraphFilter::new));
        m.put("german_normalization", normalizing(GermanNormalizationFilter::new));
        m.put("scandinavian_folding", normalizing(ScandinavianFoldingFilter::new));
        m.put("scandinavian_normalization", normalizing(ScandinavianNormalizationFilter::new));
        m.put("arabic_normalization", normalizing(ArabicNormalizationFilter::new));
        m.put("persian_normalization", normalizing(PersianNormalizationFilter::new));
        m.put("hindi_normalization", normalizing(HindiNormalizationFilter::new));
        m.put("indic_normalization", normalizing(IndicNormalizationFilter::new));
        m.put("serbian_normalization", normalizing(SerbianNormalizationFilter::new));
        return m;
    }

    private static TokenFilterFactory elisionProvider(IndexSettings is, Environment env, String name, Settings s) {
        return elision(env, name, s);
    }
}
