package org.newsflow.analysis;

import org.apache.lucene.analysis.charfilter.HTMLStripCharFilter;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.io.Reader;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.elasticsearch.plugins.AnalysisPlugin.requiresAnalysisSettings;

/** Char filters of the official analysis-common module: html_strip, mapping, pattern_replace. */
final class CharFilters {

    private CharFilters() {}

    static class Simple extends AbstractCharFilterFactory {
        private final UnaryOperator<Reader> f;

        Simple(String name, UnaryOperator<Reader> f) {
            super(name);
            this.f = f;
        }

        @Override
        public Reader create(Reader reader) {
            return f.apply(reader);
        }
    }

    static final class SimpleNormalizing extends Simple implements NormalizingCharFilterFactory {
        SimpleNormalizing(String name, UnaryOperator<Reader> f) {
            super(name, f);
        }
    }

    private static final Pattern RULE = Pattern.compile("(.*)\\s*=>\\s*(.*)\\s*$");

    /** Unescapes \\n, \\t, \\uXXXX etc. in mapping rules, like upstream. */
    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                out.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case '\\': out.append('\\'); break;
                case '"': out.append('"'); break;
                case '\'': out.append('\''); break;
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u':
                    if (i + 4 >= s.length()) {
                        throw new IllegalArgumentException("Invalid escaped char in [" + s + "]");
                    }
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                    break;
                default:
                    throw new IllegalArgumentException("Unsupported escaped character [" + n + "] in [" + s + "]");
            }
        }
        return out.toString();
    }

    private static CharFilterFactory mapping(Environment env, String name, Settings s) {
        List<String> rules = Analysis.getWordList(env, s, "mappings");
        if (rules == null) {
            throw new IllegalArgumentException("mapping requires either `mappings` or `mappings_path` to be configured");
        }
        NormalizeCharMap.Builder b = new NormalizeCharMap.Builder();
        for (String rule : rules) {
            Matcher m = RULE.matcher(rule);
            if (m.find() == false) {
                throw new IllegalArgumentException("Invalid mapping rule : [" + rule + "]");
            }
            String lhs = unescape(m.group(1).trim());
            String rhs = unescape(m.group(2).trim());
            if (lhs.isEmpty()) {
                throw new IllegalArgumentException("Invalid mapping rule: [" + rule + "]. Illegal mapping.");
            }
            b.add(lhs, rhs);
        }
        NormalizeCharMap map = b.build();
        return new SimpleNormalizing(name, r -> new MappingCharFilter(map, r));
    }

    static Map<String, AnalysisProvider<CharFilterFactory>> providers() {
        Map<String, AnalysisProvider<CharFilterFactory>> m = new LinkedHashMap<>();
        m.put("html_strip", (is, env, name, s) -> {
            List<String> escaped = s.getAsList("escaped_tags");
            Set<String> tags = escaped.isEmpty() ? null : new HashSet<>(escaped);
            return new Simple(name, r -> tags == null ? new HTMLStripCharFilter(r) : new HTMLStripCharFilter(r, tags));
        });
        m.put("mapping", requiresAnalysisSettings((is, env, name, s) -> mapping(env, name, s)));
        m.put("pattern_replace", requiresAnalysisSettings((is, env, name, s) -> {
            String pattern = s.get("pattern");
            if (pattern == null) {
                throw new IllegalArgumentException("pattern is missing for [" + name + "] char filter of type 'pattern_replace'");
            }
            Pattern p = Pattern.compile(pattern, Regex.flagsFromString(s.get("flags")));
            String replacement = s.get("replacement", "");
            return new SimpleNormalizing(name, r -> new PatternReplaceCharFilter(p, replacement, r));
        }));
        return m;
    }
}
