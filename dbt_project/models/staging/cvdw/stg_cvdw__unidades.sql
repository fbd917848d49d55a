{%- set src = source('cvdw', 'unidades') -%}
{%- set cols = cvdw_columns('cvdw', 'unidades') -%}

with

renamed as (

    select
        {{ cvdw_text(cvdw_column(cols, 'idunidade')) }} as idunidade,
        {{ cvdw_column(cols, 'idunidade_int', 'bigint') }} as idunidade_int_raw,
        {{ cvdw_column(cols, 'idempreendimento', 'bigint') }} as idempreendimento,
        {{ cvdw_text(cvdw_column(cols, 'nome_empreendimento')) }} as empreendimento,
        {{ cvdw_text(cvdw_column(cols, 'tipo_empreendimento')) }} as tipo_empreendimento,
        {{ cvdw_column(cols, 'idetapa', 'bigint') }} as idetapa,
        {{ cvdw_text(cvdw_column(cols, 'etapa')) }} as etapa,
        {{ cvdw_column(cols, 'idbloco', 'bigint') }} as idbloco,
        {{ cvdw_text(cvdw_column(cols, 'bloco')) }} as bloco,
        {{ cvdw_text(cvdw_column(cols, 'nome')) }} as unidade,
        {{ cvdw_text(cvdw_column(cols, 'tipologia')) }} as tipologia,
        {{ cvdw_text(cvdw_column(cols, 'tipo')) }} as tipo,
        {{ cvdw_numeric(cols, 'area_privativa') }} as area_privativa,
        {{ cvdw_numeric(cols, 'area_comum') }} as area_comum,
        {{ cvdw_parse_number(cvdw_column(cols, 'andar')) }}::integer as andar,
        {{ cvdw_parse_number(cvdw_column(cols, 'vagas_garagem')) }}::integer as vagas_garagem,
        {{ cvdw_numeric(cols, 'valor') }} as valor,
        {{ cvdw_numeric(cols, 'valor_avaliacao') }} as valor_avaliacao,
        {{ cvdw_date(cvdw_column(cols, 'liberar_a_partir')) }} as liberar_a_partir,
        {{ cvdw_date(cvdw_column(cols, 'data_entrega')) }} as data_entrega,
        {{ cvdw_date(cvdw_column(cols, 'data_entrega_chaves')) }} as data_entrega_chaves,
        {{ cvdw_column(cols, 'situacao_mapa_disponibilidade', 'integer') }} as idsituacao_mapa,
        {{ cvdw_bool(cvdw_column(cols, 'situacao_para_venda')) }} as is_para_venda,
        {{ cvdw_bool(cvdw_column(cols, 'situacao_vendida')) }} as is_vendida,
        {{ cvdw_bool(cvdw_column(cols, 'situacao_bloqueada')) }} as is_bloqueada,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idunidade)
        idunidade,
        coalesce(
            idunidade_int_raw,
            case when idunidade ~ '^[0-9]+$' then idunidade::bigint end
        ) as idunidade_int,
        idempreendimento,
        empreendimento,
        tipo_empreendimento,
        idetapa,
        etapa,
        idbloco,
        bloco,
        unidade,
        tipologia,
        tipo,
        area_privativa,
        area_comum,
        andar,
        vagas_garagem,
        valor,
        valor_avaliacao,
        liberar_a_partir,
        data_entrega,
        data_entrega_chaves,
        idsituacao_mapa,
        case idsituacao_mapa
            when 1 then 'Disponível'
            when 2 then 'Reservada'
            when 3 then 'Vendida'
            when 4 then 'Bloqueada'
            when 5 then 'Em processo de reserva'
        end as situacao_mapa,
        is_para_venda,
        is_vendida,
        is_bloqueada,
        atualizado_em,
        _dlt_load_id
    from renamed
    where idunidade is not null
    order by idunidade, {{ cvdw_newest_first() }}

)

select * from final
