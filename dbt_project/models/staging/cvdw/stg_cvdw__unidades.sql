with

source as (

    {{ cvdw_source('unidades') }}

),

renamed as (

    select
        conta,
        {{ cvdw_text('idunidade') }} as idunidade,
        {{ cvdw_parse_number('idunidade_int') }}::bigint as idunidade_int_raw,
        idempreendimento,
        {{ cvdw_text('nome_empreendimento') }} as empreendimento,
        {{ cvdw_text('tipo_empreendimento') }} as tipo_empreendimento,
        idetapa,
        {{ cvdw_text('etapa') }} as etapa,
        idbloco,
        {{ cvdw_text('bloco') }} as bloco,
        {{ cvdw_text('nome') }} as unidade,
        {{ cvdw_text('tipologia') }} as tipologia,
        {{ cvdw_text('tipo') }} as tipo,
        {{ cvdw_number('area_privativa') }} as area_privativa,
        {{ cvdw_number('area_comum') }} as area_comum,
        {{ cvdw_parse_number('andar') }}::integer as andar,
        {{ cvdw_parse_number('vagas_garagem') }}::integer as vagas_garagem,
        {{ cvdw_number('valor') }} as valor,
        {{ cvdw_number('valor_avaliacao') }} as valor_avaliacao,
        {{ cvdw_date('liberar_a_partir') }} as liberar_a_partir,
        {{ cvdw_date('data_entrega') }} as data_entrega,
        {{ cvdw_date('data_entrega_chaves') }} as data_entrega_chaves,
        situacao_mapa_disponibilidade::integer as idsituacao_mapa,
        {{ cvdw_bool('situacao_para_venda') }} as is_para_venda,
        {{ cvdw_bool('situacao_vendida') }} as is_vendida,
        {{ cvdw_bool('situacao_bloqueada') }} as is_bloqueada,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idunidade)
        conta,
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
    order by conta, idunidade, {{ cvdw_newest_first() }}

)

select * from final
